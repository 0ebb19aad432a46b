// The snapshot sink's proof of play: a PNG of each first frame, a hash per frame, both bounded.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { SinkError } from './sink.js';
import { SnapshotSink } from './snapshot-sink.js';
import { SMALL, tempDir } from './testing.js';

const profile = { ...SMALL, width: 2, height: 2, pixelFormat: 'rgb565le' as const };
// 2×2 rgb565le: red, green / blue, white.
const frame = Buffer.from([0x00, 0xf8, 0xe0, 0x07, 0x1f, 0x00, 0xff, 0xff]);

describe('SnapshotSink', () => {
  it('keeps the first frame as a PNG in RGB and logs one sha256 per frame', async () => {
    const sink = new SnapshotSink({ dir: tempDir() });
    sink.begin({ id: 'play-1', profile });
    sink.write(frame, 0);
    sink.write(Buffer.alloc(8), 1);
    sink.end();
    await sink.close();
    const png = PNG.sync.read(readFileSync(sink.lastPng!));
    expect([...png.data]).toEqual([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255]);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(readFileSync(sink.logPath, 'utf8')).toBe(`play-1 0 ${sha(frame)} first-0000.png\nplay-1 1 ${sha(Buffer.alloc(8))}\n`);
  });

  it('bounds the PNGs (overwritten in turn) and the hash log (rotated once)', async () => {
    const dir = tempDir();
    const sink = new SnapshotSink({ dir, maxPngs: 3, maxLogBytes: 500 });
    for (let i = 0; i < 10; i++) {
      sink.begin({ id: `play-${i}`, profile });
      for (let f = 0; f < 3; f++) sink.write(frame, f);
      sink.end();
    }
    await sink.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('.png')).sort()).toEqual(['first-0000.png', 'first-0001.png', 'first-0002.png']);
    expect(statSync(sink.logPath).size).toBeLessThan(500 + 3 * 120);
    expect(existsSync(`${sink.logPath}.1`)).toBe(true);
    expect(readFileSync(sink.logPath, 'utf8')).toContain('play-9 2 ');
  });

  it('a log it cannot append to is a SinkError from end(); close() still finishes', async () => {
    const dir = tempDir();
    const sink = new SnapshotSink({ dir: join(dir, 'snap') });
    sink.begin({ id: 'p', profile });
    sink.write(Buffer.alloc(8), 1);
    // The log path is taken by a folder: every append fails.
    mkdirSync(sink.logPath);
    expect(() => sink.end()).toThrow(SinkError);
    sink.write(Buffer.alloc(8), 2);
    await expect(sink.close()).resolves.toBeUndefined();
  });
});
