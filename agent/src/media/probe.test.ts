// probe() with real ffprobe on tiny lavfi clips, corrupt input, and a missing tool.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeClip } from '../cache/testing/clips.js';
import { FfmpegNotFoundError, locate } from './ffmpeg.js';
import { MediaError } from './media-error.js';
import { interpretProbe, parseRate, probe } from './probe.js';

const ffmpeg = locate('ffmpeg');
const ffprobe = locate('ffprobe');
const dir = mkdtempSync(join(tmpdir(), 'dc-probe-'));

async function mediaError(p: Promise<unknown>): Promise<MediaError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(MediaError);
  return e as MediaError;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('probe', () => {
  it('reads size, frame rate, duration and streams of a real clip', async () => {
    const c = makeClip(ffmpeg, dir, 'plain', { width: 160, height: 96, fps: 25, seconds: 1 });
    const p = await probe(ffprobe, c.path);
    expect(p.video).toMatchObject({ codec: 'h264', width: 160, height: 96, fps: 25, pixFmt: 'yuv420p' });
    expect(p.durationMs).toBeGreaterThanOrEqual(950);
    expect(p.durationMs).toBeLessThanOrEqual(1100);
    expect(p.audio).toBeUndefined();
    expect(p.container).toContain('mp4');
  });

  it('sees an audio stream', async () => {
    const c = makeClip(ffmpeg, dir, 'tone', { audio: true });
    expect((await probe(ffprobe, c.path)).audio?.codec).toBe('aac');
  });

  it('corrupt or truncated input is a typed unplayable error', async () => {
    const junk = join(dir, 'junk.mp4');
    writeFileSync(junk, Buffer.from('this is not a video, only words pretending'));
    const e = await mediaError(probe(ffprobe, junk));
    expect([e.code, e.context.reason]).toEqual(['unplayable', 'probe-failed']);
    const c = makeClip(ffmpeg, dir, 'cut', { seconds: 2 });
    const cut = join(dir, 'cut-short.mp4');
    writeFileSync(cut, c.body.subarray(0, Math.floor(c.body.length / 3)));
    expect((await mediaError(probe(ffprobe, cut))).code).toBe('unplayable');
  });

  it('a missing ffprobe is the machine’s fault (failed), never the creative’s', async () => {
    const c = makeClip(ffmpeg, dir, 'x');
    const e = await mediaError(probe(join(dir, 'no-such-ffprobe'), c.path));
    expect(e.code).toBe('failed');
    expect(e.message).toMatch(/install ffmpeg/);
  });

  it('locate() with a PATH without the tools throws FfmpegNotFoundError', () => {
    vi.stubEnv('DOORCAST_FFMPEG', '');
    vi.stubEnv('DOORCAST_FFPROBE', '');
    const empty = mkdtempSync(join(tmpdir(), 'dc-nopath-'));
    expect(() => locate('ffprobe', { path: empty })).toThrow(FfmpegNotFoundError);
    try {
      locate('ffmpeg', { path: empty, tryStatic: false });
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'ffmpeg-not-found', tool: 'ffmpeg', searched: [empty] });
    }
  });

  it('interprets ffprobe JSON: no video, cover art only, zero length are unplayable', () => {
    const video = { index: 0, codec_type: 'video', codec_name: 'h264', width: 16, height: 16, avg_frame_rate: '30000/1001' };
    expect(interpretProbe({ streams: [video], format: { duration: '2.5' } })).toMatchObject({ durationMs: 2500, video: { fps: 30000 / 1001 } });
    const table: [unknown, string][] = [
      [{ streams: [{ index: 0, codec_type: 'audio' }] }, 'no-video-stream'],
      [{ streams: [{ ...video, disposition: { attached_pic: 1 } }] }, 'no-video-stream'],
      [{ streams: [{ ...video, width: 0 }] }, 'no-dimensions'],
      [{ streams: [video], format: { duration: '0.000' } }, 'zero-duration'],
      [{ streams: [{ ...video, nb_frames: '0' }] }, 'zero-duration'],
      [{ streams: 'nope' }, 'probe-output'],
    ];
    for (const [raw, reason] of table) {
      try {
        interpretProbe(raw);
        expect.unreachable(reason);
      } catch (err) {
        expect(err).toMatchObject({ code: 'unplayable', context: { reason } });
      }
    }
    expect([parseRate('25/1'), parseRate('0/0'), parseRate('x')]).toEqual([25, undefined, undefined]);
  });
});
