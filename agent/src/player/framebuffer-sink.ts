// The Linux framebuffer (/dev/fbN). Geometry and depth come from sysfs
// (/sys/class/graphics/fbN/{virtual_size,bits_per_pixel,stride,modes,pan}: the same numbers as
// the FBIOGET_VSCREENINFO/FSCREENINFO ioctls, without a native addon). Frames are written in
// the device's own pixel layout, centred on the visible area. Paths are parameters so tests
// use a fake sysfs and a regular file as the device.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { PixelFormat, ScreenProfile } from '../media/screen-profile.js';
import { toFramebuffer } from './pixels.js';
import { type FrameSink, SinkError } from './sink.js';

export interface FbGeometry {
  /** The visible area (the current mode); a double-buffered device has a taller virtual size. */
  width: number;
  height: number;
  bpp: 16 | 32;
  /** Bytes per line of the whole (virtual) buffer. */
  stride: number;
  /** Byte offset of the visible area's top-left corner (the pan position). */
  offset: number;
}

/** The pixel format a profile should use so frames go to this framebuffer unconverted. */
export function nativeFormat(g: Pick<FbGeometry, 'bpp'>): PixelFormat {
  return g.bpp === 16 ? 'rgb565le' : 'bgra';
}

/** "U:800x480p-0" → [800, 480]: the first line of sysfs `modes`. */
export function parseMode(text: string): [number, number] | null {
  const m = /^[A-Za-z]*:?(\d+)x(\d+)/.exec(text.trim().split('\n')[0] ?? '');
  return m ? [Number(m[1]), Number(m[2])] : null;
}

export function readFbGeometry(device: string, sysfsRoot = '/sys'): FbGeometry {
  const dir = join(sysfsRoot, 'class', 'graphics', basename(device));
  const read = (f: string, optional = false): string | null => {
    try {
      return readFileSync(join(dir, f), 'utf8').trim();
    } catch (err) {
      if (optional) return null;
      throw new SinkError('framebuffer', `cannot read ${join(dir, f)} (${(err as NodeJS.ErrnoException).code}); is there a display driver?`);
    }
  };
  const [vw, vh] = (read('virtual_size') ?? '').split(',').map(Number);
  const bpp = Number(read('bits_per_pixel'));
  const stride = Number(read('stride'));
  const [w, h] = parseMode(read('modes', true) ?? '') ?? [vw, vh];
  const [panX, panY] = (read('pan', true) ?? '0,0').split(',').map(Number);
  if (!vw || !vh || !w || !h || w > vw || h > vh || (bpp !== 16 && bpp !== 32) || !(stride >= (vw * bpp) / 8)) {
    throw new SinkError('framebuffer', `unsupported geometry ${w}x${h} (virtual ${vw}x${vh}) ${bpp} bpp stride ${stride} (16 or 32 bpp supported)`);
  }
  const x = Number.isInteger(panX) && panX! >= 0 && panX! + w <= vw ? panX! : 0;
  const y = Number.isInteger(panY) && panY! >= 0 && panY! + h <= vh ? panY! : 0;
  return { width: w, height: h, bpp, stride, offset: y * stride + (x * bpp) / 8 };
}

export class FramebufferSink implements FrameSink {
  readonly kind = 'framebuffer';
  readonly geometry: FbGeometry;
  #fd: number | null;
  #profile: ScreenProfile | undefined;

  constructor(
    readonly device = '/dev/fb0',
    sysfsRoot = '/sys',
  ) {
    this.geometry = readFbGeometry(device, sysfsRoot);
    try {
      this.#fd = openSync(device, 'r+');
    } catch (err) {
      throw new SinkError('framebuffer', `cannot open ${device} (${(err as NodeJS.ErrnoException).code}); add the doorcast user to the video group`);
    }
  }

  /** The profile pixel format that needs no conversion per frame. */
  get nativeFormat(): PixelFormat {
    return nativeFormat(this.geometry);
  }

  begin(play: { profile: ScreenProfile }): void {
    const g = this.geometry;
    if (play.profile.width > g.width || play.profile.height > g.height) throw new SinkError('framebuffer', `profile ${play.profile.width}x${play.profile.height} is larger than the screen ${g.width}x${g.height}`);
    this.#profile = play.profile;
  }

  write(frame: Buffer): void {
    const p = this.#profile;
    if (!p) return;
    if (this.#fd === null) throw new SinkError('framebuffer', `${this.device} is closed`);
    const g = this.geometry;
    const px = toFramebuffer(frame, p.pixelFormat, p.width * p.height, g.bpp);
    const row = (p.width * g.bpp) / 8;
    const x0 = Math.floor((g.width - p.width) / 2);
    const y0 = Math.floor((g.height - p.height) / 2);
    const at = g.offset + y0 * g.stride + (x0 * g.bpp) / 8;
    try {
      // One write when the frame spans whole lines; else one per line.
      if (row === g.stride) writeSync(this.#fd, px, 0, px.length, at);
      else for (let y = 0; y < p.height; y++) writeSync(this.#fd, px, y * row, row, at + y * g.stride);
    } catch (err) {
      throw new SinkError('framebuffer', `write to ${this.device} failed (${(err as NodeJS.ErrnoException).code})`);
    }
  }

  end(): void {}

  async close(): Promise<void> {
    if (this.#fd === null) return;
    const fd = this.#fd;
    this.#fd = null;
    closeSync(fd);
  }
}
