// The Linux framebuffer (/dev/fbN). Geometry and depth come from sysfs
// (/sys/class/graphics/fbN/{virtual_size,bits_per_pixel,stride}); frames are written at
// offset 0 in the device's own pixel layout, centred when the screen is larger than the
// profile. Paths are parameters so tests use a fake sysfs and a regular file as the device.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ScreenProfile } from '../media/screen-profile.js';
import { toFramebuffer } from './pixels.js';
import { type FrameSink, SinkError } from './sink.js';

export interface FbGeometry {
  width: number;
  height: number;
  bpp: 16 | 32;
  stride: number;
}

export function readFbGeometry(device: string, sysfsRoot = '/sys'): FbGeometry {
  const dir = join(sysfsRoot, 'class', 'graphics', basename(device));
  const read = (f: string) => {
    try {
      return readFileSync(join(dir, f), 'utf8').trim();
    } catch (err) {
      throw new SinkError('framebuffer', `cannot read ${join(dir, f)} (${(err as NodeJS.ErrnoException).code}); is there a display driver?`);
    }
  };
  const [w, h] = read('virtual_size').split(',').map(Number);
  const bpp = Number(read('bits_per_pixel'));
  const stride = Number(read('stride'));
  if (!w || !h || (bpp !== 16 && bpp !== 32) || !(stride >= (w * bpp) / 8)) {
    throw new SinkError('framebuffer', `unsupported geometry ${w}x${h} ${bpp} bpp stride ${stride} (16 or 32 bpp supported)`);
  }
  return { width: w, height: h, bpp, stride };
}

export class FramebufferSink implements FrameSink {
  readonly kind = 'framebuffer';
  readonly geometry: FbGeometry;
  #fd: number;
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

  begin(play: { profile: ScreenProfile }): void {
    const g = this.geometry;
    if (play.profile.width > g.width || play.profile.height > g.height) throw new SinkError('framebuffer', `profile ${play.profile.width}x${play.profile.height} is larger than the screen ${g.width}x${g.height}`);
    this.#profile = play.profile;
  }

  write(frame: Buffer): void {
    const p = this.#profile;
    if (!p) return;
    const g = this.geometry;
    const px = toFramebuffer(frame, p.pixelFormat, p.width * p.height, g.bpp);
    const row = (p.width * g.bpp) / 8;
    const x0 = Math.floor((g.width - p.width) / 2);
    const y0 = Math.floor((g.height - p.height) / 2);
    try {
      if (x0 === 0 && row === g.stride && y0 === 0) writeSync(this.#fd, px, 0, px.length, 0);
      else for (let y = 0; y < p.height; y++) writeSync(this.#fd, px, y * row, row, (y0 + y) * g.stride + (x0 * g.bpp) / 8);
    } catch (err) {
      throw new SinkError('framebuffer', `write failed (${(err as NodeJS.ErrnoException).code})`);
    }
  }

  end(): void {}

  async close(): Promise<void> {
    closeSync(this.#fd);
  }
}
