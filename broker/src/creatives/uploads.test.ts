// CreativeUploads with real ffmpeg: a good clip becomes ready with one verified rendition per
// screen profile in the CreativeStore and a PNG still; re-uploads are the same creative;
// listing pages; the metrics count it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { probe } from '@doorcast/agent/media';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG_MAGIC } from './preview.js';
import { bodyOf, ffprobe, makeClip, type Sandbox, sandbox, uploads } from './upload-fixtures.js';
import type { CreativeUploads, MarketCreative, NamedProfile } from './uploads.js';

const profiles: NamedProfile[] = [
  { name: 'gate-7in', profile: { width: 800, height: 480, fps: 25, pixelFormat: 'rgb565le', maxDurationMs: 30_000 } },
  { name: 'lift-4in', profile: { width: 480, height: 272, fps: 15, pixelFormat: 'rgb565le', maxDurationMs: 30_000 } },
];

let sb: Sandbox;
let up: CreativeUploads;
let clip: Buffer;
let ready: MarketCreative;
const changes: MarketCreative[] = [];

beforeAll(async () => {
  sb = await sandbox('ok');
  clip = makeClip(sb.clips, 'spring', { seconds: 2 });
  up = sb.make({ profiles, now: () => new Date('2026-12-01T08:00:00.000Z') });
  up.onChange((c) => changes.push(c));
  await up.start();
});
afterAll(() => sb.destroy());

describe('a playable upload', () => {
  it('is accepted as processing, with what probe found', async () => {
    const c = await up.accept({ merchantId: sb.merchantId, name: 'uploads/Spring sale.mp4', body: bodyOf(clip), declaredBytes: clip.length });
    expect(c).toMatchObject({ merchantId: sb.merchantId, name: 'Spring sale.mp4', status: 'processing', reason: null, bytes: clip.length, codec: 'h264', width: 320, height: 240, renditions: [] });
    expect(c.id).toMatch(/^cr_[0-9a-f]{20}$/);
    expect(c.durationMs).toBeGreaterThanOrEqual(1900);
    expect(c.durationMs).toBeLessThanOrEqual(2100);
    expect((await sb.state()).originals).toEqual([c.id]);
    const row = (await sb.db.get<{ original_sha256: string }>('SELECT original_sha256 FROM market_creatives WHERE id = ?', [c.id]))!;
    expect(row.original_sha256).toBe(createHash('sha256').update(clip).digest('hex'));
    ready = await up.settled(c.id, 60_000);
  });

  it('becomes ready with one rendition per profile, each stored and of its profile’s size', async () => {
    expect(ready.status).toBe('ready');
    expect(ready.renditions.map((r) => r.profile)).toEqual(['gate-7in', 'lift-4in']);
    for (const [i, r] of ready.renditions.entries()) {
      const want = profiles[i]!.profile;
      const path = sb.creatives.pathOf(r.sha256);
      const bytes = readFileSync(path);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(r.sha256);
      expect(r.bytes).toBe(bytes.length);
      const p = await probe(ffprobe, path);
      expect(p.video).toMatchObject({ codec: 'h264', width: want.width, height: want.height, fps: want.fps, pixFmt: 'yuv420p' });
      expect({ width: r.width, height: r.height }).toEqual({ width: want.width, height: want.height });
      expect(Math.abs((p.durationMs ?? 0) - 2000)).toBeLessThanOrEqual(150);
    }
    const still = basename((await up.previewPath(ready.id))!);
    expect((await sb.state()).stored).toEqual([...ready.renditions.map((r) => r.sha256), still].sort());
  });

  it('has a PNG preview, and keeps no original or temp file once ready', async () => {
    const path = await up.previewPath(ready.id);
    expect(path).not.toBeNull();
    const png = readFileSync(path!);
    expect(png.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
    expect(png.length).toBeGreaterThan(1000);
    // IHDR: the still is the first rendition's size.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([800, 480]);
    // Kept in the store under its hash, so any node can serve it.
    expect(path).toBe(sb.creatives.pathOf(createHash('sha256').update(png).digest('hex')));
    const s = await sb.state();
    expect([s.originals, s.tmp, s.previews]).toEqual([[], [], []]);
  });

  it('tells listeners once, when it is ready', () => {
    expect(changes.filter((c) => c.id === ready.id).map((c) => c.status)).toEqual(['ready']);
  });

  it('uploaded again by the same merchant: the same creative, nothing new stored', async () => {
    const before = await sb.state();
    const again = await up.accept({ merchantId: sb.merchantId, name: 'other name.mp4', body: bodyOf(clip, { chunk: 999 }) });
    expect(again).toEqual(ready);
    expect(await sb.state()).toEqual(before);
    expect(await uploads(sb.registry, 'duplicate')).toBe(1);
  });

  it('uploaded by another merchant: a creative of its own', async () => {
    const theirs = await up.accept({ merchantId: 'm_laundry', name: 'x.mp4', body: bodyOf(clip) });
    expect(theirs.id).not.toBe(ready.id);
    expect((await up.settled(theirs.id, 60_000)).status).toBe('ready');
  });

  it('lists newest first, per merchant, in pages', async () => {
    expect(await up.list({ merchantId: sb.merchantId, limit: 50 })).toEqual({ items: [ready], nextCursor: null });
    const all = await up.list({ limit: 1 });
    expect(all.items).toHaveLength(1);
    expect(all.nextCursor).not.toBeNull();
    const rest = await up.list({ limit: 1, cursor: all.nextCursor! });
    expect(rest.items).toHaveLength(1);
    expect(rest.nextCursor).toBeNull();
    expect(new Set([...all.items, ...rest.items].map((c) => c.id)).size).toBe(2);
    await expect(up.list({ limit: 1, cursor: 'bogus' })).rejects.toThrow(/cursor/);
    await expect(up.list({ limit: 501 })).rejects.toThrow(/limit/);
  });

  it('counts accepted and ready uploads, and times the transcodes', async () => {
    expect(await uploads(sb.registry, 'accepted')).toBe(2);
    expect(await uploads(sb.registry, 'ready')).toBe(2);
    const h = await sb.registry.getSingleMetric('doorcast_broker_transcode_seconds')?.get();
    const counts = h?.values.filter((v) => (v as { metricName?: string }).metricName === 'doorcast_broker_transcode_seconds_count').map((v) => [v.labels.profile, v.value]);
    expect(counts).toEqual(expect.arrayContaining([['gate-7in', 2], ['lift-4in', 2]]));
  });

  it('get() and previewPath() answer null for an unknown id', async () => {
    expect(await up.get('cr_00000000000000000000')).toBeNull();
    expect(await up.previewPath('cr_00000000000000000000')).toBeNull();
  });
});
