// The conversions between the profile's pixel formats and what PNGs and framebuffers want.
import { describe, expect, it } from 'vitest';
import { toFramebuffer, toRgba } from './pixels.js';

// Pure red, pure green, pure blue, white, black.
const RGB = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 255],
  [0, 0, 0],
];
const rgb24 = Buffer.from(RGB.flat());
const rgb565 = Buffer.alloc(RGB.length * 2);
// RGB565: rrrrrggg gggbbbbb, little-endian.
for (const [i, v] of [0xf800, 0x07e0, 0x001f, 0xffff, 0x0000].entries()) rgb565.writeUInt16LE(v, i * 2);
const bgra = Buffer.from(RGB.flatMap(([r, g, b]) => [b!, g!, r!, 0xff]));
const rgba = Buffer.from(RGB.flatMap(([r, g, b]) => [r!, g!, b!, 0xff]));

describe('pixels', () => {
  it.each([
    ['rgb24', rgb24],
    ['rgb565le', rgb565],
    ['bgra', bgra],
  ] as const)('%s → RGBA', (format, frame) => {
    expect([...toRgba(frame, format, RGB.length)]).toEqual([...rgba]);
  });

  it('rgb24 → a 16 bpp framebuffer is RGB565 little-endian', () => {
    expect([...toFramebuffer(rgb24, 'rgb24', RGB.length, 16)]).toEqual([...rgb565]);
  });

  it('rgb565le → a 32 bpp framebuffer is XRGB8888 (B, G, R, 0xff in memory)', () => {
    expect([...toFramebuffer(rgb565, 'rgb565le', RGB.length, 32)]).toEqual([...bgra]);
  });

  it('the native layout passes through without a copy', () => {
    expect(toFramebuffer(rgb565, 'rgb565le', RGB.length, 16)).toBe(rgb565);
    expect(toFramebuffer(bgra, 'bgra', RGB.length, 32)).toBe(bgra);
  });
});
