// download() against a local server that cuts, ignores Range, answers the wrong range, lies
// about content and size, stalls or fails. CLOUD-LINK.md §7
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, parseContentRange } from './download.js';
import { CacheError } from './errors.js';
import { type CreativeServer, startCreativeServer } from './testing/creative-server.js';

let srv: CreativeServer;
const dir = mkdtempSync(join(tmpdir(), 'dc-dl-'));
let n = 0;

beforeAll(async () => {
  srv = await startCreativeServer();
});
afterAll(() => srv.close());

function file(bytes = 200_000) {
  const body = randomBytes(bytes);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const path = `/creatives/${sha256}`;
  srv.files.set(path, body);
  const d = join(dir, String(n++));
  return { body, sha256, path, t: { url: new URL(path, srv.base), sha256, bytes, part: `${d}.part`, dest: d } };
}

async function failure(p: Promise<unknown>): Promise<CacheError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CacheError);
  return e as CacheError;
}

describe('download', () => {
  it('fetches the whole file, verified, and leaves no part behind', async () => {
    const f = file();
    expect(await download(f.t)).toEqual({ received: f.body.length, resumedFrom: 0 });
    expect(readFileSync(f.t.dest).equals(f.body)).toBe(true);
    expect(existsSync(f.t.part)).toBe(false);
  });

  it('a cut connection keeps the part; the next call resumes it with Range', async () => {
    const f = file();
    srv.faults.set(f.path, { cutAfter: 70_000 });
    const e = await failure(download(f.t));
    expect([e.code, e.transient]).toEqual(['network', true]);
    const have = statSync(f.t.part).size;
    expect(have).toBeGreaterThan(0);
    expect(have).toBeLessThan(f.body.length);
    expect(existsSync(f.t.dest)).toBe(false);
    const r = await download(f.t);
    expect(r).toEqual({ received: f.body.length - have, resumedFrom: have });
    expect(srv.requests.filter((q) => q.path === f.path).at(-1)?.range).toBe(`bytes=${have}-`);
    expect(readFileSync(f.t.dest).equals(f.body)).toBe(true);
  });

  it('a server that ignores Range gets the file from zero, not spliced', async () => {
    const f = file();
    srv.faults.set(f.path, { cutAfter: 50_000, ignoreRange: true });
    await failure(download(f.t));
    const r = await download(f.t);
    expect(r.received).toBe(f.body.length);
    expect(readFileSync(f.t.dest).equals(f.body)).toBe(true);
  });

  it('a 206 for another range than asked restarts from zero without Range', async () => {
    const f = file();
    writeFileSync(f.t.part, f.body.subarray(0, 1000));
    srv.faults.set(f.path, { wrongRangeStart: 10 });
    await download(f.t);
    const mine = srv.requests.filter((q) => q.path === f.path);
    expect(mine.map((q) => q.range)).toEqual(['bytes=1000-', undefined]);
    expect(readFileSync(f.t.dest).equals(f.body)).toBe(true);
  });

  it('a complete part answered 416 is verified without downloading again', async () => {
    const f = file();
    writeFileSync(f.t.part, f.body);
    expect(await download(f.t)).toEqual({ received: 0, resumedFrom: f.body.length });
    expect(readFileSync(f.t.dest).equals(f.body)).toBe(true);
  });

  it('wrong bytes fail integrity; nothing reaches dest, the part is left for quarantine', async () => {
    const f = file();
    srv.faults.set(f.path, { body: Buffer.alloc(f.body.length, 7) });
    const e = await failure(download(f.t));
    expect([e.code, e.quarantine, e.transient]).toEqual(['integrity', true, false]);
    expect(e.message).toMatch(/sha256 [0-9a-f]{64}, the manifest says/);
    expect(existsSync(f.t.dest)).toBe(false);
    expect(existsSync(f.t.part)).toBe(true);
  });

  it('a short file is an integrity failure, not a retry', async () => {
    const f = file();
    srv.faults.set(f.path, { body: f.body.subarray(0, 100) });
    expect((await failure(download(f.t))).code).toBe('integrity');
  });

  it('more bytes than announced: refused by Content-Length, or while streaming when chunked', async () => {
    const a = file();
    srv.faults.set(a.path, { extra: 10 });
    const chunked = await failure(download(a.t));
    expect(chunked.code).toBe('too-large');
    expect(statSync(a.t.part).size).toBeLessThanOrEqual(a.body.length);
    const b = file();
    srv.faults.set(b.path, { body: Buffer.concat([b.body, Buffer.alloc(10)]) });
    const declared = await failure(download(b.t));
    expect(declared.code).toBe('too-large');
    expect(declared.message).toMatch(/Content-Length/);
  });

  it('stalls time out and keep the part; stop aborts', async () => {
    const f = file();
    srv.faults.set(f.path, { stallAfter: 5000 });
    const e = await failure(download(f.t, { idleTimeoutMs: 300 }));
    expect([e.code, e.transient]).toEqual(['timeout', true]);
    expect(statSync(f.t.part).size).toBe(5000);
    const ac = new AbortController();
    const p = download(f.t, { signal: ac.signal, idleTimeoutMs: 10_000 });
    setTimeout(() => ac.abort(), 100);
    expect((await failure(p)).code).toBe('stopped');
  });

  it('HTTP errors: 404 is final, 503 is transient', async () => {
    const f = file();
    srv.faults.set(f.path, { status: 503 });
    expect((await failure(download(f.t))).transient).toBe(true);
    const e = await failure(download({ ...f.t, url: new URL('/creatives/none', srv.base) }));
    expect([e.code, e.context.status, e.transient]).toEqual(['http', 404, false]);
  });

  it('credentials go to the broker origin only, never to another host', async () => {
    const cdn = await startCreativeServer();
    try {
      const f = file();
      cdn.files.set(f.path, f.body);
      await download(f.t, { authorization: 'Basic eDp5', credentialsOrigin: srv.base });
      expect(srv.requests.at(-1)?.authorization).toBe('Basic eDp5');
      await download({ ...f.t, url: new URL(f.path, cdn.base), dest: `${f.t.dest}.cdn` }, { authorization: 'Basic eDp5', credentialsOrigin: srv.base });
      expect(cdn.requests).toHaveLength(1);
      expect(cdn.requests[0]?.authorization).toBeUndefined();
    } finally {
      await cdn.close();
    }
  });

  it('parses Content-Range strictly', () => {
    expect(parseContentRange('bytes 5-9/10')).toEqual({ start: 5, end: 9, size: 10 });
    expect(parseContentRange('bytes 5-9/*')).toBeNull();
    expect(parseContentRange('items 5-9/10')).toBeNull();
    expect(parseContentRange(undefined)).toBeNull();
  });
});
