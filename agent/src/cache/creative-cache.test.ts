// The creative cache against a local HTTP server that cuts connections, honours or ignores
// Range, and lies about content; with real ffmpeg transcoding real clips.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locate } from '../media/ffmpeg.js';
import { probe } from '../media/probe.js';
import { silentLogger } from '../obs/log.js';
import { Registry } from '../obs/metrics.js';
import { CreativeCache } from './creative-cache.js';

const ffmpeg = locate('ffmpeg');
const ffprobe = locate('ffprobe');
const dir = mkdtempSync(join(tmpdir(), 'dc-cache-'));
const clips = new Map<string, Buffer>();
const requests: { url: string; range: string | undefined }[] = [];
/** Per path: cut the first response after this many bytes; ignore Range; swap the body. */
const faults = new Map<string, { cutAfter?: number; ignoreRange?: boolean; body?: Buffer }>();
let server: Server;
let base: string;

function clip(name: string, src: string, seconds: number): { sha256: string; url: string; bytes: number } {
  const f = join(dir, `${name}.mp4`);
  execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `${src}=size=320x240:rate=25`, '-t', String(seconds), '-pix_fmt', 'yuv420p', '-y', f]);
  const body = readFileSync(f);
  const sha256 = createHash('sha256').update(body).digest('hex');
  clips.set(`/creatives/${sha256}`, body);
  return { sha256, url: `/creatives/${sha256}`, bytes: body.length };
}

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    requests.push({ url: req.url ?? '', range: req.headers.range });
    const fault = faults.get(req.url ?? '');
    const body = fault?.body ?? clips.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m && !fault?.ignoreRange ? Number(m[1]) : 0;
    res.writeHead(start ? 206 : 200, { 'content-length': body.length - start, ...(start ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
    if (fault?.cutAfter !== undefined) {
      const n = fault.cutAfter;
      delete fault.cutAfter;
      res.write(body.subarray(start, start + n), () => res.destroy());
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const profile = { width: 160, height: 96, fps: 10, pixelFormat: 'rgb24' as const, maxDurationMs: 30_000 };
function cache(over: Partial<ConstructorParameters<typeof CreativeCache>[0]> = {}) {
  const root = mkdtempSync(join(dir, 'root-'));
  return new CreativeCache({ root, readyDir: join(root, 'ready'), profile, maxBytes: 50 * 2 ** 20, ffmpeg, ffprobe, log: silentLogger, registry: new Registry(), ...over });
}

describe('creative cache', () => {
  it('fetches, resumes a cut download with Range, transcodes to the profile', async () => {
    const a = clip('a', 'testsrc', 2);
    faults.set(a.url, { cutAfter: Math.floor(a.bytes / 2) });
    const c = cache();
    const first = await c.sync([a], base);
    expect(first.failed[0]?.reason).toMatch(/cut after/);
    expect(c.ready(a.sha256)).toBeNull();
    const second = await c.sync([a], base);
    expect(second.fetched).toEqual([a.sha256]);
    const tail = requests.filter((r) => r.url === a.url).at(-1);
    expect(tail?.range).toMatch(/^bytes=\d+-$/);
    const f = c.ready(a.sha256)!;
    const p = await probe(ffprobe, f);
    expect([p.video.width, p.video.height, Math.round(p.video.fps ?? 0)]).toEqual([160, 96, 10]);
    expect(c.info(a.sha256)?.durationMs).toBeGreaterThan(1900);
    // Nothing half-written is left where the player looks.
    expect(readdirSync(join(f, '..'))).toEqual([`${a.sha256}.mp4`]);
  }, 60_000);

  it('a server that ignores Range restarts from zero and still verifies', async () => {
    const b = clip('b', 'smptebars', 1);
    faults.set(b.url, { cutAfter: 1000, ignoreRange: true });
    const c = cache();
    await c.sync([b], base);
    expect((await c.sync([b], base)).ready).toEqual([b.sha256]);
  }, 60_000);

  it('a hash mismatch quarantines the file, reports it, and is not fetched again at once', async () => {
    const d = clip('d', 'rgbtestsrc', 1);
    faults.set(d.url, { body: Buffer.alloc(d.bytes, 0x42) });
    const reg = new Registry();
    const root = mkdtempSync(join(dir, 'root-'));
    const c = cache({ registry: reg, root, readyDir: join(root, 'ready') });
    const r = await c.sync([d], base);
    expect(r.failed[0]?.reason).toMatch(/sha256 .* the manifest says/);
    expect(c.ready(d.sha256)).toBeNull();
    expect(readdirSync(join(root, 'quarantine'))).toEqual([`${d.sha256}.hash.1`]);
    const n = requests.filter((x) => x.url === d.url).length;
    expect((await c.sync([d], base)).failed[0]?.reason).toMatch(/quarantined: hash/);
    expect(requests.filter((x) => x.url === d.url).length).toBe(n);
    const rejected = (await reg.getSingleMetric('doorcast_creative_rejected_total')?.get())?.values[0];
    expect(rejected).toMatchObject({ labels: { reason: 'hash' }, value: 1 });
    faults.delete(d.url);
  }, 60_000);

  it('more bytes than announced are refused; an unplayable file is quarantined', async () => {
    const e = clip('e', 'testsrc2', 1);
    const c = cache();
    expect((await c.sync([{ ...e, bytes: e.bytes - 100 }], base)).failed[0]?.reason).toMatch(/more than the announced/);
    const junk = Buffer.from('this is not a video at all');
    const sha = createHash('sha256').update(junk).digest('hex');
    clips.set(`/creatives/${sha}`, junk);
    expect((await c.sync([{ sha256: sha, url: `/creatives/${sha}`, bytes: junk.length }], base)).failed[0]?.reason).toMatch(/ffprobe cannot read it|no video/);
  }, 60_000);

  it('evicts least recently played creatives no longer in the manifest, never current ones; survives a restart', async () => {
    const x = clip('x', 'testsrc', 1);
    const y = clip('y', 'smptebars', 1);
    const z = clip('z', 'rgbtestsrc', 1);
    let now = 0;
    const root = mkdtempSync(join(dir, 'root-'));
    const opts = { root, readyDir: join(root, 'ready'), maxBytes: 1, now: () => now };
    const c = cache(opts);
    // The manifest names all three: all kept, whatever the budget.
    expect((await c.sync([x, y, z], base)).evicted).toEqual([]);
    now = 10;
    c.touch(y.sha256);
    now = 5;
    c.touch(x.sha256);
    // A restart keeps the play order (the index is on disk).
    await c.sync([x, y, z], base);
    const again = cache(opts);
    expect(again.evict(new Set([z.sha256]))).toEqual([x.sha256, y.sha256]);
    expect(again.ready(z.sha256)).not.toBeNull();
    expect(existsSync(join(root, 'ready', `${x.sha256}.mp4`))).toBe(false);
  }, 90_000);
});
