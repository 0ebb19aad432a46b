// What the pipeline refuses: each refusal is a typed UploadError with a reason, and changes
// nothing (no row, no stored file, no original, no temp file: DESIGN.md rule 4). Files that
// probe well but fail to decode become 'rejected' with the reason, and store nothing.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, makeClip, refused, type Sandbox, sandbox, uploads } from './upload-fixtures.js';
import { type CreativeUploads, DEFAULT_UPLOAD_LIMITS } from './uploads.js';

let sb: Sandbox;
let up: CreativeUploads;
let clip: Buffer;
const limits = { ...DEFAULT_UPLOAD_LIMITS, maxDurationMs: 2500 };

beforeAll(async () => {
  sb = await sandbox('bad');
  clip = makeClip(sb.clips, 'ok', { seconds: 2, faststart: true });
  up = sb.make({ limits });
  await up.start();
});
afterAll(() => sb.destroy());

const empty = { rows: 0, stored: [], originals: [], previews: [], tmp: [] };


describe('refused while the merchant waits, leaving nothing behind', () => {
  const cases: [string, string, string, () => Buffer][] = [
    ['mjpeg in AVI', 'unsupported', 'codec', () => makeClip(sb.clips, 'mjpeg', { codec: 'mjpeg', ext: 'avi' })],
    ['a GIF', 'unsupported', 'codec', () => makeClip(sb.clips, 'anim', { codec: 'gif', ext: 'gif', width: 64, height: 48, fps: 10 })],
    ['a PNG still', 'unsupported', 'codec', () => makeClip(sb.clips, 'still', { codec: 'png', ext: 'png', seconds: 0.04 })],
    ['a 3 s clip over a 2.5 s limit', 'unplayable', 'too-long', () => makeClip(sb.clips, 'long', { seconds: 3 })],
    ['a half-second clip', 'unplayable', 'too-short', () => makeClip(sb.clips, 'short', { seconds: 0.5 })],
    ['a 16x8 sliver', 'unplayable', 'dimensions', () => makeClip(sb.clips, 'sliver', { width: 16, height: 8 })],
    ['random bytes', 'unplayable', 'unreadable', () => randomBytes(200_000)],
    ['an MP4 cut before its moov', 'unplayable', 'unreadable', () => makeClip(sb.clips, 'moov-last', { seconds: 2 }).subarray(0, 20_000)],
  ];

  it.each(cases)('%s: %s/%s', async (_n, code, reason, bytes) => {
    const e = await refused(up.accept({ merchantId: sb.merchantId, name: 'x.mp4', body: bodyOf(bytes()) }));
    expect([e.code, e.reason]).toEqual([code, reason]);
    expect(e.message.length).toBeGreaterThan(20);
    expect(await sb.state()).toEqual(empty);
  });

  it('an empty body', async () => {
    const e = await refused(up.accept({ merchantId: sb.merchantId, name: 'x.mp4', body: bodyOf(Buffer.alloc(0)) }));
    expect([e.code, e.reason]).toEqual(['empty', 'empty']);
    expect(await sb.state()).toEqual(empty);
  });

  it('a body over maxBytes, stopped as soon as it passes the cap', async () => {
    const small = sb.make({ limits: { ...limits, maxBytes: 100_000 } });
    await small.start();
    let read = 0;
    async function* counted() {
      for await (const c of bodyOf(clip, { chunk: 10_000 })) {
        read += c.length;
        yield c;
      }
    }
    const e = await refused(small.accept({ merchantId: sb.merchantId, name: 'x.mp4', body: counted() }));
    expect([e.code, e.reason]).toEqual(['too-large', 'too-large']);
    // The stream reads a little ahead, never the whole body.
    expect(read).toBeLessThanOrEqual(100_000 + 64 * 1024);
    expect(read).toBeLessThan(clip.length);
    expect(await sb.state()).toEqual(empty);
    await small.stop();
  });

  it('a declared length over the cap, before a byte is read', async () => {
    let pulled = false;
    async function* body() {
      pulled = true;
      yield clip;
    }
    const e = await refused(up.accept({ merchantId: sb.merchantId, name: 'x.mp4', body: body(), declaredBytes: limits.maxBytes + 1 }));
    expect(e.code).toBe('too-large');
    expect(e.message).toMatch(/201 MB.*200 MB/);
    expect(pulled).toBe(false);
    expect(await sb.state()).toEqual(empty);
  });

  it('a body that fails midway', async () => {
    const e = await refused(up.accept({ merchantId: sb.merchantId, name: 'x.mp4', body: bodyOf(clip, { chunk: 4096, failAfter: 8192 }) }));
    expect([e.code, e.reason]).toEqual(['io', 'body']);
    expect(await sb.state()).toEqual(empty);
  });

  it('counts each refusal by reason', async () => {
    expect(await uploads(sb.registry, 'refused', 'codec')).toBe(3);
    expect(await uploads(sb.registry, 'refused', 'unreadable')).toBe(2);
    expect(await uploads(sb.registry, 'accepted')).toBe(0);
  });
});

describe('probes well, fails to decode: rejected with the reason, nothing stored', () => {
  it.each<[string, string, (b: Buffer) => Buffer]>([
    // moov first, then half the mdat: ffmpeg exits 0 with half a clip.
    ['a truncated mdat', 'truncated', (b) => b.subarray(0, Math.floor(b.length / 2))],
    // A valid header, then noise where the frames were: ffmpeg gives up.
    ['garbage after a valid header', 'corrupt', (b) => Buffer.concat([b.subarray(0, 4000), randomBytes(b.length - 4000)])],
  ])('%s → %s', async (_n, reason, damage) => {
    const c = await up.accept({ merchantId: sb.merchantId, name: 'damaged.mp4', body: bodyOf(damage(clip)) });
    expect(c.status).toBe('processing');
    const done = await up.settled(c.id, 60_000);
    expect(done).toMatchObject({ status: 'rejected', reason, renditions: [] });
    expect(await up.previewPath(c.id)).toBeNull();
    const s = await sb.state();
    expect([s.stored, s.originals, s.previews, s.tmp]).toEqual([[], [], [], []]);
    expect(await uploads(sb.registry, 'rejected', reason)).toBe(1);
    await sb.db.run('DELETE FROM market_creatives');
  });
});
