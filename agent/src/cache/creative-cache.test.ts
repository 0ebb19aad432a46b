// The creative cache against a local HTTP server that cuts connections, ignores Range and
// lies about content and size; with real ffmpeg transcoding tiny real clips.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locate } from '../media/ffmpeg.js';
import { probe } from '../media/probe.js';
import type { ScreenProfile } from '../media/screen-profile.js';
import { Registry } from '../obs/metrics.js';
import { type CacheOptions, CreativeCache, type SyncReport } from './creative-cache.js';
import type { CacheProgress } from './progress.js';
import { makeClip } from './testing/clips.js';
import { type CreativeServer, startCreativeServer } from './testing/creative-server.js';

const ffmpeg = locate('ffmpeg');
const ffprobe = locate('ffprobe');
const dir = mkdtempSync(join(tmpdir(), 'dc-cache-'));
const profile: ScreenProfile = { width: 96, height: 64, fps: 10, pixelFormat: 'rgb24', maxDurationMs: 30_000 };
let srv: CreativeServer;
let n = 0;

beforeAll(async () => {
  srv = await startCreativeServer();
});
afterAll(() => srv.close());

function creative(src = 'testsrc', seconds = 1) {
  const c = makeClip(ffmpeg, dir, `c${n++}`, { src, seconds });
  const url = `/creatives/${c.sha256}`;
  srv.files.set(url, c.body);
  return { sha256: c.sha256, url, bytes: c.body.length };
}

function cache(over: Partial<CacheOptions> = {}) {
  const root = over.root ?? mkdtempSync(join(dir, 'root-'));
  return new CreativeCache({ root, readyDir: join(root, 'ready'), profile, maxBytes: 50 * 2 ** 20, ffmpeg, ffprobe, registry: new Registry(), retry: { attempts: 3, baseDelayMs: 10 }, ...over });
}

const hits = (url: string) => srv.requests.filter((r) => r.path === url);
async function metricValue(reg: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const m = await reg.getSingleMetric(name)?.get();
  return m?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe('creative cache', () => {
  it('fetches, resumes a cut download within the same sync, transcodes once to the profile', async () => {
    const a = creative('testsrc', 2);
    srv.faults.set(a.url, { cutAfter: Math.floor(a.bytes / 2) });
    const reg = new Registry();
    const progress: CacheProgress[] = [];
    const c = cache({ registry: reg, onProgress: (p) => progress.push(p) });
    const r = await c.sync([a], srv.base);
    expect(r).toMatchObject({ fetched: [a.sha256], ready: [a.sha256], failed: [] });
    expect(hits(a.url).map((h) => h.range)).toEqual([undefined, expect.stringMatching(/^bytes=\d+-$/)]);
    expect(await metricValue(reg, 'doorcast_creative_downloads_resumed_total')).toBe(1);
    const f = c.ready(a.sha256)!;
    const p = await probe(ffprobe, f);
    expect([p.video.width, p.video.height, p.video.fps]).toEqual([96, 64, 10]);
    expect(c.info(a.sha256)).toMatchObject({ width: 96, height: 64, fps: 10 });
    expect(c.info(a.sha256)?.durationMs).toBeGreaterThan(1900);
    expect(new Set(progress.map((x) => x.stage))).toEqual(new Set(['download', 'transcode']));
    expect(progress.filter((x) => x.stage === 'download').at(-1)).toMatchObject({ done: a.bytes, total: a.bytes });
    // Only the finished file where the player looks; no original, part or progress left.
    expect(readdirSync(join(f, '..'))).toEqual([`${a.sha256}.mp4`]);
    const root = join(f, '..', '..');
    expect([readdirSync(join(root, 'partial')), readdirSync(join(root, 'blobs')), existsSync(join(root, 'progress.json'))]).toEqual([[], [], false]);
    // Once ready, a second sync fetches nothing.
    const before = hits(a.url).length;
    expect((await c.sync([a], srv.base)).fetched).toEqual([]);
    expect(hits(a.url).length).toBe(before);
  });

  it('a hash mismatch quarantines the file with its reason, counts it, and backs off', async () => {
    const d = creative('rgbtestsrc');
    srv.faults.set(d.url, { body: Buffer.alloc(d.bytes, 0x42) });
    const reg = new Registry();
    let now = 1_000_000;
    const root = mkdtempSync(join(dir, 'root-'));
    const c = cache({ registry: reg, root, now: () => now });
    const r = await c.sync([d], srv.base);
    expect(r.failed).toEqual([{ sha256: d.sha256, code: 'integrity', reason: expect.stringMatching(/sha256 [0-9a-f]{64}, the manifest says/) }]);
    expect(c.ready(d.sha256)).toBeNull();
    expect(readdirSync(join(root, 'quarantine')).sort()).toEqual([`${d.sha256}.integrity.1`, `${d.sha256}.integrity.1.json`]);
    expect(readFileSync(join(root, 'quarantine', `${d.sha256}.integrity.1`)).equals(Buffer.alloc(d.bytes, 0x42))).toBe(true);
    expect(JSON.parse(readFileSync(join(root, 'quarantine', `${d.sha256}.integrity.1.json`), 'utf8'))).toMatchObject({ reason: 'integrity', count: 1 });
    expect(await metricValue(reg, 'doorcast_creative_rejected_total', { reason: 'integrity' })).toBe(1);
    // Not retried endlessly: the next sync does not ask the server.
    const asked = hits(d.url).length;
    expect((await c.sync([d], srv.base)).failed[0]).toMatchObject({ code: 'backoff' });
    expect(hits(d.url).length).toBe(asked);
    // After the backoff, the (now good) file is fetched.
    srv.faults.delete(d.url);
    now += 11 * 60_000;
    expect((await c.sync([d], srv.base)).ready).toEqual([d.sha256]);
  });

  it('a resumed file that fails its hash is fetched whole once before anything is quarantined', async () => {
    const a = creative('testsrc2');
    const root = mkdtempSync(join(dir, 'root-'));
    mkdirSync(join(root, 'partial'), { recursive: true });
    writeFileSync(join(root, 'partial', `${a.sha256}.part`), Buffer.alloc(Math.floor(a.bytes / 2), 0x33));
    const reg = new Registry();
    const r = await cache({ root, registry: reg }).sync([a], srv.base);
    expect(r.ready).toEqual([a.sha256]);
    expect(hits(a.url).slice(-2).map((h) => h.range)).toEqual([`bytes=${Math.floor(a.bytes / 2)}-`, undefined]);
    expect(readdirSync(join(root, 'quarantine'))).toEqual([]);
    expect(await metricValue(reg, 'doorcast_creative_rejected_total')).toBeUndefined();
  });

  it('more bytes than announced and unplayable files are quarantined with their reason', async () => {
    const e = creative('testsrc2');
    const reg = new Registry();
    const c = cache({ registry: reg });
    expect((await c.sync([{ ...e, bytes: e.bytes - 100 }], srv.base)).failed[0]).toMatchObject({ code: 'too-large' });
    const junk = Buffer.from('this is not a video at all, only some words');
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update(junk).digest('hex');
    srv.files.set(`/creatives/${sha}`, junk);
    const r = await c.sync([{ sha256: sha, url: `/creatives/${sha}`, bytes: junk.length }], srv.base);
    expect(r.failed[0]).toMatchObject({ code: 'unplayable', reason: expect.stringMatching(/ffprobe cannot read it/) });
    expect(await metricValue(reg, 'doorcast_creative_rejected_total', { reason: 'too-large' })).toBe(1);
    expect(await metricValue(reg, 'doorcast_creative_rejected_total', { reason: 'unplayable' })).toBe(1);
  });

  it('evicts the least recently played creatives outside the current set, never the current ones; order survives a restart', async () => {
    const x = creative('testsrc');
    const y = creative('smptebars');
    const z = creative('rgbtestsrc');
    let now = 0;
    const root = mkdtempSync(join(dir, 'root-'));
    const reg = new Registry();
    const c = cache({ root, maxBytes: 1, now: () => now, registry: reg });
    // All three are current: all kept, whatever the budget, and the excess is reported.
    const all = await c.sync([x, y, z], srv.base);
    expect(all.evicted).toEqual([]);
    expect(all.overBudgetBytes).toBeGreaterThan(0);
    expect(await metricValue(reg, 'doorcast_cache_over_budget_bytes')).toBe(all.overBudgetBytes);
    now = 10;
    c.touch(y.sha256);
    now = 20;
    c.touch(z.sha256);
    c.stop();
    const size = (s: string) => statSync(join(root, 'ready', `${s}.mp4`)).size;
    // Restarted, with room for z and one more: x (least recently played) goes, y stays.
    const again = cache({ root, maxBytes: size(z.sha256) + size(y.sha256), now: () => now });
    const r = await again.sync([z], srv.base);
    expect(r.evicted).toEqual([x.sha256]);
    expect([again.ready(x.sha256), again.ready(y.sha256) !== null, again.ready(z.sha256) !== null]).toEqual([null, true, true]);
    expect(existsSync(join(root, 'ready', `${x.sha256}.mp4`))).toBe(false);
    expect(again.evict(new Set())).toEqual([]);
  });

  it('after a crash: temp files are removed, unindexed files adopted and evicted first, a partial download resumed', async () => {
    const a = creative('smptebars');
    const root = mkdtempSync(join(dir, 'root-'));
    const ready = join(root, 'ready');
    for (const d of [ready, join(root, 'partial')]) mkdirSync(d, { recursive: true });
    const orphan = 'f'.repeat(64);
    writeFileSync(join(ready, `.${a.sha256}.mp4.partial.mp4`), 'half a transcode');
    writeFileSync(join(ready, `${orphan}.mp4`), 'renamed in, never indexed');
    writeFileSync(join(root, 'partial', `${a.sha256}.part`), srv.files.get(a.url)!.subarray(0, Math.floor(a.bytes / 2)));
    writeFileSync(join(root, 'partial', 'junk'), 'x');
    writeFileSync(join(root, 'index.json'), '{"version":1,"ready":{"not-a-hash":{}}');
    const c = cache({ root, maxBytes: 1 });
    expect(readdirSync(ready)).toEqual([`${orphan}.mp4`]);
    expect(c.ready(orphan)).toBeNull();
    const r = await c.sync([a], srv.base);
    expect(r.ready).toEqual([a.sha256]);
    expect(hits(a.url).at(-1)?.range).toBe(`bytes=${Math.floor(a.bytes / 2)}-`);
    expect(r.evicted).toEqual([orphan]);
    expect(readdirSync(ready)).toEqual([`${a.sha256}.mp4`]);
  });

  it('two at a time: both fetched and transcoded; a 404 is not retried by the cache', async () => {
    const a = creative('testsrc');
    const b = creative('smptebars');
    const missing = { sha256: 'e'.repeat(64), url: `/creatives/${'e'.repeat(64)}`, bytes: 10 };
    const reports: SyncReport[] = [];
    const c = cache({ concurrency: 2, resyncAfterMs: 20, onSynced: (r) => reports.push(r) });
    const r = await c.sync([a, b, missing], srv.base);
    expect(new Set(r.ready)).toEqual(new Set([a.sha256, b.sha256]));
    expect(r.failed).toEqual([{ sha256: missing.sha256, code: 'http', reason: expect.stringMatching(/HTTP 404/) }]);
    await new Promise((res) => setTimeout(res, 200));
    expect(reports).toHaveLength(1);
    expect(hits(missing.url)).toHaveLength(1);
    c.stop();
  });

  it('a new screen profile never reuses the old output', async () => {
    const a = creative('testsrc');
    const root = mkdtempSync(join(dir, 'root-'));
    await cache({ root }).sync([a], srv.base);
    const bigger = cache({ root, profile: { ...profile, width: 128, height: 96 } });
    expect(bigger.ready(a.sha256)).toBeNull();
    expect((await bigger.sync([a], srv.base)).fetched).toEqual([a.sha256]);
    expect(bigger.info(a.sha256)).toMatchObject({ width: 128, height: 96 });
  });

  it('bad entries are reported with their path and change nothing else', async () => {
    const a = creative('testsrc');
    const b = creative('smptebars');
    const c = cache();
    const r = await c.sync([{ sha256: 'nope', url: '/x', bytes: 1 }, { ...b, url: 'ftp://example/x' }, a], srv.base);
    expect(r.failed).toEqual([
      { sha256: 'nope', code: 'invalid', reason: expect.stringMatching(/^creatives\[0\]\.sha256: /) },
      { sha256: b.sha256, code: 'invalid', reason: expect.stringMatching(/unsupported protocol ftp:/) },
    ]);
    expect(r.ready).toEqual([a.sha256]);
  });

  it('transient failures are retried later by the cache itself; stop() ends a download at once', async () => {
    const a = creative('testsrc');
    srv.faults.set(a.url, { status: 503 });
    const reports: SyncReport[] = [];
    const c = cache({ retry: { attempts: 1, baseDelayMs: 1 }, resyncAfterMs: 50, onSynced: (r) => reports.push(r) });
    expect((await c.sync([a], srv.base)).failed[0]).toMatchObject({ code: 'http' });
    srv.faults.delete(a.url);
    for (let i = 0; i < 100 && reports.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(reports[1]?.ready).toEqual([a.sha256]);
    c.stop();

    const b = creative('smptebars');
    srv.faults.set(b.url, { stallAfter: 100 });
    const s = cache({ idleTimeoutMs: 20_000 });
    const p = s.sync([b], srv.base);
    for (let i = 0; i < 100 && hits(b.url).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    s.stop();
    expect((await p).failed).toEqual([{ sha256: b.sha256, code: 'stopped', reason: expect.any(String) }]);
    await s.idle();
  });
});
