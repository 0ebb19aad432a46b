// Creative hosting over real HTTP: per-device Basic auth, manifest-scoped, resumable with Range.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CredentialBundle } from '../contract.js';
import { silentLogger } from '../obs/log.js';
import { metricValue, startTestBroker, type TestBroker } from '../testing.js';
import { CreativeStore } from './creative-store.js';
import { serveCreative } from './http.js';

let b: TestBroker;
let dev: CredentialBundle;
let other: CredentialBundle;
let op: CredentialBundle;
let sha: string;
let unlisted: string;
const bytes = randomBytes(100_000);
const files = mkdtempSync(join(tmpdir(), 'doorcast-creative-http-'));

const basic = (c: Pick<CredentialBundle, 'username' | 'password'>) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => fetch(`${b.urls.httpUrl}${path}`, { method, headers });

beforeAll(async () => {
  b = await startTestBroker({ http: { host: '127.0.0.1', port: 0, metrics: 'operator' } });
  writeFileSync(join(files, 'clip.mp4'), bytes);
  writeFileSync(join(files, 'other.mp4'), Buffer.from('another creative'));
  sha = (await b.creatives.addFile(join(files, 'clip.mp4'))).sha256;
  unlisted = (await b.creatives.addFile(join(files, 'other.mp4'))).sha256;
  b.campaigns.upsert({ id: 'noodles', site: 'maple', campaign: { id: 'noodles' }, creatives: [sha] });
  dev = await b.addDevice('maple', 'gate-1');
  other = await b.addDevice('oak', 'gate-1');
  op = await b.addOperator('ops');
});
afterAll(async () => {
  await b.destroy();
  rmSync(files, { recursive: true, force: true });
});

describe('GET /creatives/<sha256> (CLOUD-LINK.md §7)', () => {
  it('serves the whole file to a device whose manifest lists it', async () => {
    const r = await get(`/creatives/${sha}`, { authorization: basic(dev) });
    expect(r.status).toBe(200);
    expect(r.headers.get('accept-ranges')).toBe('bytes');
    expect(r.headers.get('etag')).toBe(`"${sha}"`);
    const body = Buffer.from(await r.arrayBuffer());
    expect(createHash('sha256').update(body).digest('hex')).toBe(sha);
  });

  it.each([
    ['no credentials', {}, 401],
    ['a wrong password', { authorization: basic({ username: 'maple/gate-1', password: 'nope' }) }, 401],
    ['a malformed header', { authorization: 'Bearer abc' }, 401],
  ])('refuses %s with %i and a Basic challenge', async (_n, headers, status) => {
    const r = await get(`/creatives/${sha}`, headers);
    expect(r.status).toBe(status);
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm="doorcast"/);
    await r.arrayBuffer();
  });

  it('refuses a creative not in the device’s manifest (403) and an unknown one (404)', async () => {
    expect((await get(`/creatives/${sha}`, { authorization: basic(other) })).status).toBe(403);
    expect((await get(`/creatives/${unlisted}`, { authorization: basic(dev) })).status).toBe(403);
    expect((await get(`/creatives/${'0'.repeat(64)}`, { authorization: basic(dev) })).status).toBe(404);
    expect((await get(`/creatives/${unlisted}`, { authorization: basic(op) })).status).toBe(200);
  });

  it('resumes with Range: the parts concatenate to the file', async () => {
    const auth = { authorization: basic(dev) };
    const r1 = await get(`/creatives/${sha}`, { ...auth, range: 'bytes=0-32767' });
    expect(r1.status).toBe(206);
    expect(r1.headers.get('content-range')).toBe(`bytes 0-32767/${bytes.length}`);
    const p1 = Buffer.from(await r1.arrayBuffer());
    const r2 = await get(`/creatives/${sha}`, { ...auth, range: `bytes=${p1.length}-`, 'if-range': `"${sha}"` });
    expect(r2.status).toBe(206);
    const p2 = Buffer.from(await r2.arrayBuffer());
    expect(Buffer.concat([p1, p2]).equals(bytes)).toBe(true);

    const tail = await get(`/creatives/${sha}`, { ...auth, range: 'bytes=-10' });
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(-10))).toBe(true);
    const past = await get(`/creatives/${sha}`, { ...auth, range: `bytes=${bytes.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
    // If-Range naming another representation: the whole file, not a part.
    const stale = await get(`/creatives/${sha}`, { ...auth, range: 'bytes=0-9', 'if-range': '"stale"' });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const h = await get(`/creatives/${sha}`, { authorization: basic(dev) }, 'HEAD');
    expect(h.status).toBe(200);
    expect(h.headers.get('content-length')).toBe(String(bytes.length));
    expect((await get(`/creatives/${sha}`, { authorization: basic(dev) }, 'PUT')).status).toBe(405);
  });

  it('a revoked device gets 403', async () => {
    const d = await b.addDevice('maple', 'gate-2');
    await b.revokeDevice('maple', 'gate-2');
    expect((await get(`/creatives/${sha}`, { authorization: basic(d) })).status).toBe(403);
  });
});

describe('serveCreative with an asynchronous manifest check', () => {
  it('awaits mayFetch: a Promise of false is a 403, not a pass', async () => {
    const store = new CreativeStore(join(files, 'store'));
    const { sha256 } = await store.addFile(join(files, 'clip.mp4'));
    const op = { kind: 'operator', username: 'op.ops', name: 'ops' } as const;
    const s = createServer((req, res) => {
      void serveCreative({ creatives: store, mayFetch: async () => req.headers['x-allow'] === 'yes', log: silentLogger }, op, sha256, req, res);
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    try {
      const at = `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
      expect((await fetch(at)).status).toBe(403);
      const ok = await fetch(at, { headers: { 'x-allow': 'yes' } });
      expect(ok.status).toBe(200);
      expect(Buffer.from(await ok.arrayBuffer()).equals(bytes)).toBe(true);
    } finally {
      await new Promise((r) => s.close(r));
    }
  });
});

describe('/metrics and /healthz', () => {
  it('serves metrics to operators only (metrics: operator)', async () => {
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', { authorization: basic(dev) })).status).toBe(403);
    const r = await get('/metrics', { authorization: basic(op) });
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toContain('doorcast_broker_http_requests_total');
    expect(text).toContain('doorcast_broker_auth_total');
    expect(await metricValue(b, 'doorcast_broker_http_requests_total', { route: 'creatives', status: '206' })).toBeGreaterThanOrEqual(2);
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/nothing')).status).toBe(404);
  });
});
