// The pipeline's lifecycle: stop() mid-transcode leaves the row 'processing' and no partial
// file, and the next start() resumes it to 'ready'; start() cleans crash leftovers; the queue
// refuses 'busy' at its limit; failures of ours are retried, then rejected as 'internal', and
// a re-upload tries again.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bodyOf, ffmpeg, makeClip, refused, type Sandbox, sandbox, until, uploads } from './upload-fixtures.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox('life');
});
afterEach(() => sb.destroy());


describe('stop and start', () => {
  it('stop() during a transcode: no partial file, still processing; a new instance resumes it to ready', async () => {
    // Long and large enough that the transcode is surely still running when we stop.
    const clip = makeClip(sb.clips, 'long', { seconds: 8, width: 1280, height: 720 });
    const first = sb.make();
    await first.start();
    const c = await first.accept({ merchantId: sb.merchantId, name: 'long.mp4', body: bodyOf(clip) });
    const tmp = join(sb.workDir, 'tmp');
    await until(() => readdirSync(tmp).some((f) => f.includes('.partial.')), 20_000, 'the transcode to start writing');
    await first.stop();
    expect((await first.get(c.id))?.status).toBe('processing');
    expect(await sb.state()).toMatchObject({ rows: 1, stored: [], originals: [c.id], previews: [], tmp: [] });
    await expect(first.accept({ merchantId: sb.merchantId, name: 'x.mp4', body: bodyOf(clip) })).rejects.toMatchObject({ code: 'io', reason: 'stopped' });

    const second = sb.make();
    await second.start();
    const done = await second.settled(c.id, 60_000);
    expect(done.status).toBe('ready');
    expect(done.renditions).toHaveLength(1);
    // The still is in the store with the rendition, not in previews/.
    expect(await sb.state()).toMatchObject({ rows: 1, originals: [], tmp: [], previews: [] });
    expect((await sb.state()).stored).toHaveLength(2);
  });

  it('start() removes crash leftovers: temp files, orphan originals and stray previews', async () => {
    for (const d of ['tmp', 'originals', 'previews']) mkdirSync(join(sb.workDir, d), { recursive: true });
    writeFileSync(join(sb.workDir, 'tmp', 'upload-dead'), 'half an upload');
    writeFileSync(join(sb.workDir, 'tmp', '.cr_00000000000000000000.gate-7in.mp4.partial.mp4'), 'half a transcode');
    writeFileSync(join(sb.workDir, 'originals', 'cr_00000000000000000000'), 'no row');
    writeFileSync(join(sb.workDir, 'previews', 'cr_00000000000000000000.png'), 'no row');
    const u = sb.make();
    await u.start();
    expect(await sb.state()).toEqual({ rows: 0, stored: [], originals: [], previews: [], tmp: [] });
  });

  it('a processing row whose original is gone becomes rejected (original-lost) on start()', async () => {
    const clip = makeClip(sb.clips, 'ok', { seconds: 2 });
    const u = sb.make();
    await u.start();
    const c = await u.accept({ merchantId: sb.merchantId, name: 'ok.mp4', body: bodyOf(clip) });
    await u.stop();
    // stop() may have caught it mid-way or after; make it "processing without an original".
    await sb.db.run("UPDATE market_creatives SET status = 'processing', renditions = '[]', preview = NULL WHERE id = ?", [c.id]);
    rmSync(join(sb.workDir, 'originals', c.id), { force: true });
    const again = sb.make();
    const seen: string[] = [];
    again.onChange((x) => seen.push(`${x.id}:${x.status}:${x.reason}`));
    await again.start();
    expect(await again.get(c.id)).toMatchObject({ status: 'rejected', reason: 'original-lost' });
    await until(() => seen.length > 0, 5000, 'the change to be told');
    expect(seen).toEqual([`${c.id}:rejected:original-lost`]);
  });

  it("start() leaves another node's processing upload alone; its own node resumes it", async () => {
    const clip = makeClip(sb.clips, 'ok', { seconds: 2 });
    const a = sb.make();
    await a.start();
    const c = await a.accept({ merchantId: sb.merchantId, name: 'ok.mp4', body: bodyOf(clip) });
    await a.stop();
    await sb.db.run("UPDATE market_creatives SET status = 'processing', renditions = '[]', preview = NULL WHERE id = ?", [c.id]);
    // Node B: the same state db, its own workDir, so not A's original.
    const b = sb.make({ workDir: join(sb.root, 'node-b') });
    await b.start();
    expect(await b.get(c.id)).toMatchObject({ status: 'processing', reason: null });
    expect((await sb.state()).originals).toEqual([c.id]);
    await b.stop();
    const again = sb.make();
    await again.start();
    expect((await again.settled(c.id, 60_000)).status).toBe('ready');
  });

  it('a node id file that is not an id stops start() rather than orphan its uploads', async () => {
    mkdirSync(sb.workDir, { recursive: true });
    writeFileSync(join(sb.workDir, 'node-id'), 'edited by hand\n');
    await expect(sb.make().start()).rejects.toThrow(/not a node id/);
  });

  it('serves a still kept in previews/ by a creative made before stills went to the store', async () => {
    const u = sb.make();
    await u.start();
    const id = 'cr_0123456789abcdef0123';
    const at = new Date().toISOString();
    await sb.db.run(
      `INSERT INTO market_creatives (id, merchant_id, name, original_sha256, bytes, status, renditions, preview, created_at, updated_at)
       VALUES (?, ?, 'old.mp4', ?, 1, 'ready', '[]', ?, ?, ?)`,
      [id, sb.merchantId, 'a'.repeat(64), JSON.stringify({ file: `${id}.png`, bytes: 4, atMs: 0 }), at, at],
    );
    writeFileSync(join(sb.workDir, 'previews', `${id}.png`), 'png!');
    expect(await u.previewPath(id)).toBe(join(sb.workDir, 'previews', `${id}.png`));
    await u.stop();
    await sb.make().start();
    expect((await sb.state()).previews).toEqual([`${id}.png`]);
  });

  it('stop() while a body is still arriving: the upload is refused as stopped, nothing kept', async () => {
    const u = sb.make();
    await u.start();
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((r) => {
      release = r;
    });
    async function* body() {
      yield Buffer.alloc(50_000, 1);
      await stalled;
    }
    const pending = refused(u.accept({ merchantId: sb.merchantId, name: 'slow.mp4', body: body() }));
    await until(() => readdirSync(join(sb.workDir, 'tmp')).length === 1, 5000, 'the upload to start');
    await u.stop();
    const e = await pending;
    expect([e.code, e.reason]).toEqual(['io', 'stopped']);
    expect(await sb.state()).toEqual({ rows: 0, stored: [], originals: [], previews: [], tmp: [] });
    release();
  });

  it('accept() before start() is refused as stopped', async () => {
    const u = sb.make();
    const e = await refused(u.accept({ merchantId: sb.merchantId, name: 'x.mp4', body: bodyOf(Buffer.from('x')) }));
    expect([e.code, e.reason]).toEqual(['io', 'stopped']);
  });
});

describe('limits of the queue and failures of ours', () => {
  it('refuses a new upload as busy at the queue limit, then takes it once there is room', async () => {
    const a = makeClip(sb.clips, 'a', { seconds: 3, width: 640, height: 480 });
    const b = makeClip(sb.clips, 'b', { seconds: 2 });
    const u = sb.make({ queueLimit: 1 });
    await u.start();
    const first = await u.accept({ merchantId: sb.merchantId, name: 'a.mp4', body: bodyOf(a) });
    const e = await refused(u.accept({ merchantId: sb.merchantId, name: 'b.mp4', body: bodyOf(b) }));
    expect([e.code, e.reason]).toEqual(['io', 'busy']);
    expect(await sb.state()).toMatchObject({ rows: 1, originals: [first.id] });
    expect(await uploads(sb.registry, 'refused', 'busy')).toBe(1);
    await u.settled(first.id, 60_000);
    const second = await u.accept({ merchantId: sb.merchantId, name: 'b.mp4', body: bodyOf(b) });
    expect((await u.settled(second.id, 60_000)).status).toBe('ready');
  });

  it('a failure of ours is retried, then rejected as internal; uploading again retries it', async () => {
    const clip = makeClip(sb.clips, 'ok', { seconds: 2 });
    // An ffmpeg on a full disk: each run is logged, each fails the way a full disk does.
    const runs = join(sb.root, 'runs.log');
    const fake = join(sb.root, 'full-disk-ffmpeg');
    writeFileSync(fake, `#!/bin/sh\necho run >> '${runs}'\necho 'Error writing output: No space left on device' >&2\nexit 1\n`, { mode: 0o755 });
    const broken = sb.make({ ffmpeg: fake, retryDelaysMs: [50, 50] });
    await broken.start();
    const c = await broken.accept({ merchantId: sb.merchantId, name: 'ok.mp4', body: bodyOf(clip) });
    const done = await broken.settled(c.id, 30_000);
    expect(done).toMatchObject({ status: 'rejected', reason: 'internal' });
    expect(readFileSync(runs, 'utf8').trim().split('\n')).toHaveLength(3);
    expect(await sb.state()).toMatchObject({ rows: 1, stored: [], originals: [], tmp: [], previews: [] });
    await broken.stop();

    const fixed = sb.make({ ffmpeg });
    await fixed.start();
    const again = await fixed.accept({ merchantId: sb.merchantId, name: 'ok.mp4', body: bodyOf(clip) });
    expect(again).toMatchObject({ id: c.id, status: 'processing', reason: null });
    expect((await fixed.settled(c.id, 60_000)).status).toBe('ready');
  });
});

describe('uploads racing each other', () => {
  it('the same bytes sent twice at once: one creative, one original, one job', async () => {
    const clip = makeClip(sb.clips, 'twice', { seconds: 2 });
    const u = sb.make();
    const told: string[] = [];
    u.onChange(() => {
      throw new Error('a broken listener');
    });
    u.onChange((c) => told.push(c.status));
    await u.start();
    const [a, b] = await Promise.all([
      u.accept({ merchantId: sb.merchantId, name: 'a.mp4', body: bodyOf(clip, { chunk: 1000 }) }),
      u.accept({ merchantId: sb.merchantId, name: 'b.mp4', body: bodyOf(clip, { chunk: 3000 }) }),
    ]);
    expect(b.id).toBe(a.id);
    expect(await sb.state()).toMatchObject({ rows: 1, originals: [a.id] });
    expect((await u.settled(a.id, 60_000)).status).toBe('ready');
    await until(() => told.length > 0, 5000, 'the listener to be told');
    expect(told).toEqual(['ready']);
    expect(await uploads(sb.registry, 'accepted')).toBe(1);
    expect(await uploads(sb.registry, 'duplicate')).toBe(1);
  });

  it('an unknown merchant is refused and leaves nothing', async () => {
    const u = sb.make();
    await u.start();
    const e = await refused(u.accept({ merchantId: 'm_nobody', name: 'a.mp4', body: bodyOf(makeClip(sb.clips, 'x', { seconds: 1 })) }));
    expect(e.code).toBe('io');
    expect(await sb.state()).toEqual({ rows: 0, stored: [], originals: [], previews: [], tmp: [] });
  });
});
