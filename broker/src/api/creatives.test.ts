// The upload route end to end with real ffmpeg: raw bytes in, 202 processing, ready with a
// preview still, booked, into the manifest, and fetchable by the site's device only.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip } from '../creatives/upload-fixtures.js';
import { localHourOf } from '../market/site-time.js';
import { addTestCreative, type MarketFixture, startMarketFixture } from './testing.js';

let f: MarketFixture;
const clips = mkdtempSync(join(tmpdir(), 'dc-api-clips-'));
const today = localHourOf(Date.now(), 'Asia/Shanghai').date;
const upload = (c = f.noodles, bytes: Uint8Array, name = 'offer.mp4', type = 'video/mp4') => c.call('PUT', `/api/v1/creatives?name=${encodeURIComponent(name)}`, bytes, { 'content-type': type });

async function ready(id: string, c = f.noodles): Promise<{ status: string; renditions: { sha256: string; bytes: number }[]; reason: string | null; message: string | null }> {
  for (let i = 0; i < 300; i++) {
    const r = await c.get(`/api/v1/creatives/${id}`);
    if (r.body.status !== 'processing') return r.body;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`creative ${id} still processing after 30 s`);
}

beforeAll(async () => {
  f = await startMarketFixture();
});
afterAll(() => f.broker.destroy());

describe('creative upload through the API', () => {
  it('accepts a clip (202), transcodes it, shows a preview, and a booking with it reaches the device', async () => {
    const bytes = makeClip(clips, 'good', { seconds: 2 });
    const r = await upload(f.noodles, bytes);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ status: 'processing', name: 'offer.mp4', merchantId: f.accounts.noodles.merchantId });
    const c = await ready(r.body.id);
    expect(c.status).toBe('ready');
    const png = await fetch(`${f.base}/api/v1/creatives/${r.body.id}/preview.png`, { headers: { authorization: `Bearer ${f.noodles.token}` } });
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await png.arrayBuffer()).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect((await f.bakery.get(`/api/v1/creatives/${r.body.id}/preview.png`)).status).toBe(404);

    // The same bytes again are the same creative (a retried upload is harmless).
    expect((await upload(f.noodles, bytes)).body.id).toBe(r.body.id);

    const bundle = await f.broker.addDevice('maple', 'gate-1');
    const b = await f.noodles.post('/api/v1/campaigns', { name: 'Noodles tonight', sites: ['maple'], dayparts: ['evening'], dates: { from: today, to: today }, creatives: [r.body.id] });
    expect(b.body.status).toBe('active');
    await f.broker.market.idle();
    const manifest = JSON.parse(f.broker.manifests.current({ site: 'maple', device: 'gate-1' })!.envelope.body) as { creatives: { sha256: string; url: string }[] };
    const sha = c.renditions[0]!.sha256;
    expect(manifest.creatives.map((x) => x.sha256)).toContain(sha);
    const auth = `Basic ${Buffer.from(`${bundle.username}:${bundle.password}`).toString('base64')}`;
    const got = await fetch(`${f.base}/creatives/${sha}`, { headers: { authorization: auth } });
    expect(got.status).toBe(200);
    expect((await got.arrayBuffer()).byteLength).toBe(c.renditions[0]!.bytes);
    // A device at another site may not fetch it.
    const other = await f.broker.addDevice('oak', 'gate-2');
    const denied = await fetch(`${f.base}/creatives/${sha}`, { headers: { authorization: `Basic ${Buffer.from(`${other.username}:${other.password}`).toString('base64')}` } });
    expect(denied.status).toBe(403);
  }, 60_000);

  it('refuses what cannot play with the reason, at once, and keeps nothing', async () => {
    const before = (await f.noodles.get('/api/v1/creatives')).body.items.length;
    const garbage = await upload(f.noodles, new Uint8Array(4096).fill(7), 'offer.mp4');
    expect(garbage.status).toBe(422);
    expect(garbage.body).toMatchObject({ error: 'unplayable', reason: 'unreadable' });
    expect(garbage.body.message).toMatch(/video/i);
    const long = await upload(f.noodles, makeClip(clips, 'long', { seconds: 31, width: 64, height: 48, fps: 5 }), 'long.mp4');
    expect(long.status).toBe(422);
    expect(long.body.reason).toBe('too-long');
    const gif = await upload(f.noodles, makeClip(clips, 'anim', { seconds: 2, codec: 'gif', ext: 'gif', width: 64, height: 48 }), 'anim.gif', 'application/octet-stream');
    expect(gif.status).toBe(415);
    const empty = await upload(f.noodles, new Uint8Array(0), 'empty.mp4');
    expect(empty.status).toBe(400);
    const json = await f.noodles.call('PUT', '/api/v1/creatives?name=x.mp4', { not: 'video' });
    expect(json.status).toBe(415);
    expect((await f.noodles.get('/api/v1/creatives')).body.items.length).toBe(before);
  }, 60_000);

  it('refuses an upload over the size limit from its content-length, before reading it', async () => {
    const { request } = await import('node:http');
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${f.base}/api/v1/creatives?name=big.mp4`, { method: 'PUT', headers: { authorization: `Bearer ${f.noodles.token}`, 'content-type': 'video/mp4', 'content-length': String(201 * 1024 * 1024) } }, (res) => {
        let body = '';
        res.on('data', (b: Buffer) => {
          body += b;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
      // Send a few bytes of the 201 MiB it announced, then wait for the answer.
      req.write(Buffer.alloc(1024));
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'too-large', reason: 'too-large' });
  });

  it('pages a merchant\'s creatives with the cursor it returns, and refuses a foreign one', async () => {
    const made = new Set<string>();
    for (let i = 0; i < 3; i++) made.add(await addTestCreative(f.broker, f.accounts.bakery.merchantId!, `clip-${i}.mp4`));
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 5; i++) {
      const r: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } = await f.bakery.get(`/api/v1/creatives?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((c) => c.id));
      cursor = r.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(3);
    expect(new Set(seen)).toEqual(made);
    const bad = await f.bakery.get('/api/v1/creatives?cursor=bm9wZQ');
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].path).toBe('query.cursor');
  });
});
