// Pixel format conversions between the screen profile's formats and what a sink needs. Pure.
import type { PixelFormat } from '../media/screen-profile.js';

/** To RGBA (PNG snapshots). */
export function toRgba(frame: Buffer, format: PixelFormat, pixels: number): Buffer {
  const out = Buffer.allocUnsafe(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    let r: number;
    let g: number;
    let b: number;
    if (format === 'rgb565le') {
      const v = frame[i * 2]! | (frame[i * 2 + 1]! << 8);
      r = ((v >> 11) & 0x1f) * 255 / 31;
      g = ((v >> 5) & 0x3f) * 255 / 63;
      b = (v & 0x1f) * 255 / 31;
    } else if (format === 'bgra') {
      b = frame[i * 4]!;
      g = frame[i * 4 + 1]!;
      r = frame[i * 4 + 2]!;
    } else {
      r = frame[i * 3]!;
      g = frame[i * 3 + 1]!;
      b = frame[i * 3 + 2]!;
    }
    out[i * 4] = Math.round(r);
    out[i * 4 + 1] = Math.round(g);
    out[i * 4 + 2] = Math.round(b);
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** Framebuffer pixel layouts: 16 bpp is RGB565 little-endian, 32 bpp is XRGB8888 (BGRA bytes). */
export function toFramebuffer(frame: Buffer, format: PixelFormat, pixels: number, bpp: 16 | 32): Buffer {
  if ((bpp === 16 && format === 'rgb565le') || (bpp === 32 && format === 'bgra')) return frame;
  const rgba = toRgba(frame, format, pixels);
  const out = Buffer.allocUnsafe(pixels * (bpp / 8));
  for (let i = 0; i < pixels; i++) {
    const r = rgba[i * 4]!;
    const g = rgba[i * 4 + 1]!;
    const b = rgba[i * 4 + 2]!;
    if (bpp === 16) out.writeUInt16LE(((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3), i * 2);
    else {
      out[i * 4] = b;
      out[i * 4 + 1] = g;
      out[i * 4 + 2] = r;
      out[i * 4 + 3] = 0xff;
    }
  }
  return out;
}
