// transcode() with real ffmpeg: to the profile's size (padded), frame rate and length, audio
// kept only when present, progress reported, temp files never left, stop kills ffmpeg.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeClip } from '../cache/testing/clips.js';
import { locate } from './ffmpeg.js';
import { MediaError } from './media-error.js';
import { probe } from './probe.js';
import type { ScreenProfile } from './screen-profile.js';
import { profileKey, TRANSCODE_VERSION, transcode, transcodeArgs } from './transcode.js';

const ffmpeg = locate('ffmpeg');
const ffprobe = locate('ffprobe');
const dir = mkdtempSync(join(tmpdir(), 'dc-transcode-'));
const screen: ScreenProfile = { width: 96, height: 64, fps: 10, pixelFormat: 'rgb565le', maxDurationMs: 1000 };

async function mediaError(p: Promise<unknown>): Promise<MediaError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(MediaError);
  return e as MediaError;
}

describe('transcode', () => {
  it('scales and pads to the screen, fixes the frame rate, cuts at maxDuration, reports progress', async () => {
    const src = makeClip(ffmpeg, dir, 'wide', { width: 160, height: 96, fps: 25, seconds: 2 });
    const out = join(dir, 'wide-out.mp4');
    const progress: number[] = [];
    await transcode(ffmpeg, src.path, out, screen, { onProgress: (ms) => progress.push(ms) });
    const p = await probe(ffprobe, out);
    expect(p.video).toMatchObject({ codec: 'h264', width: 96, height: 64, fps: 10, pixFmt: 'yuv420p' });
    expect(p.durationMs).toBeGreaterThanOrEqual(900);
    expect(p.durationMs).toBeLessThanOrEqual(1100);
    expect(p.audio).toBeUndefined();
    expect(progress.length).toBeGreaterThan(0);
    expect(Math.max(...progress)).toBeLessThanOrEqual(1100);
    expect(readdirSync(dir).filter((n) => n.includes('partial'))).toEqual([]);
  });

  it('keeps audio as AAC when the creative has some', async () => {
    const src = makeClip(ffmpeg, dir, 'tone', { seconds: 1, audio: true });
    const out = join(dir, 'tone-out.mp4');
    await transcode(ffmpeg, src.path, out, screen, { audio: true });
    expect((await probe(ffprobe, out)).audio?.codec).toBe('aac');
  });

  it('corrupt input is unplayable and leaves nothing behind', async () => {
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, Buffer.alloc(4096, 0x17));
    const out = join(dir, 'junk-out.mp4');
    expect((await mediaError(transcode(ffmpeg, junk, out, screen))).code).toBe('unplayable');
    expect(readdirSync(dir).filter((n) => n.startsWith('.junk-out') || n === 'junk-out.mp4')).toEqual([]);
  });

  it('stop kills ffmpeg: aborted, no output, no temp file', async () => {
    const src = makeClip(ffmpeg, dir, 'long', { width: 160, height: 96, seconds: 2 });
    const out = join(dir, 'long-out.mp4');
    const ac = new AbortController();
    const p = transcode(ffmpeg, src.path, out, { ...screen, maxDurationMs: 60_000 }, { signal: ac.signal });
    setImmediate(() => ac.abort());
    expect((await mediaError(p)).code).toBe('aborted');
    expect(readdirSync(dir).filter((n) => n.includes('long-out'))).toEqual([]);
  });

  it('a missing ffmpeg fails as the machine’s fault', async () => {
    const src = makeClip(ffmpeg, dir, 'm');
    const e = await mediaError(transcode(join(dir, 'no-ffmpeg'), src.path, join(dir, 'm-out.mp4'), screen));
    expect(e.code).toBe('failed');
  });

  it('arguments: audio mapped only when asked; the profile key names every output setting', () => {
    const a = transcodeArgs('in', 'out', screen, true);
    expect(a.join(' ')).toContain('-map 0:a:0');
    expect(a.join(' ')).toContain('-c:a aac');
    expect(transcodeArgs('in', 'out', screen, false)).toContain('-an');
    expect(profileKey(screen)).toBe(`96x64@10/1000/v${TRANSCODE_VERSION}`);
    expect(profileKey({ ...screen, fps: 25 })).not.toBe(profileKey(screen));
  });
});
