// The framebuffer sink against a fake sysfs tree and a regular file standing in for /dev/fb0:
// the geometry it reads, and the bytes it writes at known offsets.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FramebufferSink, nativeFormat, parseMode, readFbGeometry } from './framebuffer-sink.js';
import { SinkError } from './sink.js';
import { SMALL, tempDir } from './testing.js';

/** A fake /sys/class/graphics/fb0 plus a zeroed device file; returns [sysfsRoot, device]. */
function fakeFb(files: Record<string, string>, deviceBytes: number): [string, string] {
  const root = tempDir('dc-fb-');
  const dir = join(root, 'class/graphics/fb0');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), `${text}\n`);
  const dev = join(root, 'fb0');
  writeFileSync(dev, Buffer.alloc(deviceBytes));
  return [root, dev];
}

/** A w×h rgb24 frame whose pixel (x, y) is (x*60, y*100, 7). */
function frame(w: number, h: number): Buffer {
  const f = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) f.set([x * 60, y * 100, 7], (y * w + x) * 3);
  return f;
}

describe('framebuffer geometry', () => {
  it('parses sysfs modes lines', () => {
    expect(parseMode('U:800x480p-0\nU:640x480p-60')).toEqual([800, 480]);
    expect(parseMode('S:1920x1080p-60')).toEqual([1920, 1080]);
    expect(parseMode('')).toBeNull();
  });

  it('a double-buffered device: visible area from modes, the pan offset honoured', () => {
    const [root, dev] = fakeFb({ virtual_size: '800,960', bits_per_pixel: '16', stride: '1600', modes: 'U:800x480p-0', pan: '0,480' }, 1600 * 960);
    expect(readFbGeometry(dev, root)).toEqual({ width: 800, height: 480, bpp: 16, stride: 1600, offset: 480 * 1600 });
  });

  it('without modes the virtual size is the screen', () => {
    const [root, dev] = fakeFb({ virtual_size: '480,320', bits_per_pixel: '32', stride: '1920' }, 0);
    expect(readFbGeometry(dev, root)).toMatchObject({ width: 480, height: 320, bpp: 32, offset: 0 });
    expect(nativeFormat({ bpp: 32 })).toBe('bgra');
    expect(nativeFormat({ bpp: 16 })).toBe('rgb565le');
  });

  it.each([
    ['no display driver (no sysfs)', null, /cannot read .*virtual_size/],
    ['24 bpp', { virtual_size: '800,480', bits_per_pixel: '24', stride: '2400' }, /unsupported geometry/],
    ['a stride shorter than a line', { virtual_size: '800,480', bits_per_pixel: '16', stride: '1000' }, /unsupported geometry/],
    ['a mode larger than the buffer', { virtual_size: '800,480', bits_per_pixel: '16', stride: '1600', modes: 'U:1024x600p-0' }, /unsupported geometry/],
  ])('refuses %s with a SinkError', (_name, files, message) => {
    const [root, dev] = files ? fakeFb(files, 0) : [tempDir('dc-fb-'), '/dev/fb0'];
    expect(() => readFbGeometry(dev, root)).toThrow(SinkError);
    expect(() => readFbGeometry(dev, root)).toThrow(message);
  });
});

describe('FramebufferSink', () => {
  it('16 bpp: converts to RGB565, centred in the visible area of the panned buffer', async () => {
    // 8×4 visible, double-buffered to 8×8, showing the lower half; a 4×2 frame.
    const [root, dev] = fakeFb({ virtual_size: '8,8', bits_per_pixel: '16', stride: '16', modes: 'U:8x4p-0', pan: '0,4' }, 16 * 8);
    const sink = new FramebufferSink(dev, root);
    expect(sink.nativeFormat).toBe('rgb565le');
    sink.begin({ profile: { ...SMALL, width: 4, height: 2 } });
    sink.write(frame(4, 2));
    await sink.close();
    const fb = readFileSync(dev);
    // Visible area starts at row 4; centred: 2 px left margin, 1 row top margin → row 5, x 2.
    const at = (x: number, y: number) => fb.readUInt16LE((4 + y) * 16 + x * 2);
    const rgb565 = (r: number, g: number, b: number) => ((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3);
    expect(at(2, 1)).toBe(rgb565(0, 0, 7));
    expect(at(5, 1)).toBe(rgb565(180, 0, 7));
    expect(at(3, 2)).toBe(rgb565(60, 100, 7));
    // Everything else untouched: margins, the hidden half.
    expect(at(1, 1)).toBe(0);
    expect(at(6, 1)).toBe(0);
    expect(at(2, 0)).toBe(0);
    expect(at(2, 3)).toBe(0);
    expect(fb.subarray(0, 4 * 16).every((b) => b === 0)).toBe(true);
  });

  it('32 bpp with a padded stride: XRGB8888, line by line', async () => {
    // 4×2 visible, stride 20 bytes (4 px + 4 bytes padding).
    const [root, dev] = fakeFb({ virtual_size: '4,2', bits_per_pixel: '32', stride: '20' }, 20 * 2);
    const sink = new FramebufferSink(dev, root);
    sink.begin({ profile: { ...SMALL, width: 4, height: 2 } });
    sink.write(frame(4, 2));
    await sink.close();
    const fb = readFileSync(dev);
    expect([...fb.subarray(20 + 3 * 4, 20 + 4 * 4)]).toEqual([7, 100, 180, 0xff]);
    expect([...fb.subarray(16, 20)]).toEqual([0, 0, 0, 0]);
  });

  it('a profile larger than the screen is refused at begin()', () => {
    const [root, dev] = fakeFb({ virtual_size: '4,2', bits_per_pixel: '32', stride: '16' }, 32);
    const sink = new FramebufferSink(dev, root);
    expect(() => sink.begin({ profile: SMALL })).toThrow(/larger than the screen/);
    void sink.close();
  });

  it('a device that cannot be opened, and one that stops taking writes, are SinkErrors', async () => {
    const [root] = fakeFb({ virtual_size: '4,2', bits_per_pixel: '32', stride: '16' }, 32);
    expect(() => new FramebufferSink(join(root, 'nope', 'fb0'), root)).toThrow(/cannot open/);
    // /dev/full accepts the open and fails every write with ENOSPC: a device gone bad.
    mkdirSync(join(root, 'class/graphics/full'), { recursive: true });
    for (const [f, t] of Object.entries({ virtual_size: '4,2', bits_per_pixel: '32', stride: '16' })) writeFileSync(join(root, 'class/graphics/full', f), t);
    const sink = new FramebufferSink('/dev/full', root);
    sink.begin({ profile: { ...SMALL, width: 4, height: 2 } });
    expect(() => sink.write(frame(4, 2))).toThrow(/write to \/dev\/full failed \(ENOSPC\)/);
    await sink.close();
    expect(() => sink.write(frame(4, 2))).toThrow(/closed/);
  });
});
