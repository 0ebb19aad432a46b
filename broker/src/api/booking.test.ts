// Inventory search, booking (all or nothing, never oversold under parallel requests),
// cancellation, ownership, CSV, and the booked campaign in the site's device manifests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localHourOf } from '../market/site-time.js';
import { addTestCreative, type MarketFixture, startMarketFixture } from './testing.js';

let f: MarketFixture;
let noodleClip: string;
let bakeryClip: string;
const today = () => localHourOf(Date.now(), 'Asia/Shanghai').date;
const plus = (days: number) => new Date(Date.parse(`${today()}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  f = await startMarketFixture();
  noodleClip = await addTestCreative(f.broker, f.accounts.noodles.merchantId!);
  bakeryClip = await addTestCreative(f.broker, f.accounts.bakery.merchantId!);
});
afterAll(() => f.broker.destroy());

const booking = (over: Record<string, unknown> = {}) => ({ name: 'Breakfast set', sites: ['maple'], dayparts: ['morning'], dates: { from: plus(1), to: plus(2) }, units: 1, creatives: [noodleClip], ...over });

describe('inventory search', () => {
  it('lists sites within the radius, nearest first, with availability, price and estimated reach', async () => {
    const r = await f.noodles.get(`/api/v1/inventory/search?lat=31.2312&lon=121.4712&radiusKm=20&dayparts=morning,evening&from=${plus(1)}&to=${plus(2)}&units=2`);
    expect(r.status).toBe(200);
    expect(r.body.items.map((i: { site: { id: string } }) => i.site.id)).toEqual(['maple', 'oak']);
    expect(r.body.items[0].distanceKm).toBeLessThan(0.3);
    const slot = r.body.items[0].slots[0];
    expect(slot).toMatchObject({ date: plus(1), daypart: 'morning', capacityUnits: 6, availableUnits: 6, priceCents: 3000 });
    // The generic profile expects 18+32+26+12 = 88 unlocks from 06 to 10; 2 of 6 units get a third.
    expect(slot.expectedUnlocks).toBe(88);
    expect(slot.estimatedReach).toBe(29);
    expect(r.body.items[0].slots).toHaveLength(4);
    const near = await f.noodles.get(`/api/v1/inventory/search?lat=31.2312&lon=121.4712&radiusKm=1&from=${plus(1)}&to=${plus(1)}`);
    expect(near.body.items.map((i: { site: { id: string } }) => i.site.id)).toEqual(['maple']);
    expect(near.body.items[0].slots).toHaveLength(6);
  });

  it('refuses a bad query with field paths', async () => {
    const r = await f.noodles.get(`/api/v1/inventory/search?lat=abc&lon=121&dayparts=brunch&from=${plus(3)}&to=${plus(1)}`);
    expect(r.status).toBe(400);
    expect(r.body.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(['query.lat', 'query.dayparts.0']));
  });

  it('an operator edits a site profile; a bad profile changes nothing', async () => {
    const hours = Array.from({ length: 7 }, () => Array.from({ length: 24 }, (_, h) => (h === 7 ? 100 : 0)));
    const put = await f.operator.call('PUT', '/api/v1/sites/oak/profile', { hours });
    expect(put.body).toMatchObject({ source: 'manual' });
    expect((await f.operator.call('PUT', '/api/v1/sites/oak/profile', { hours: [[1, 2]] })).status).toBe(400);
    const r = await f.noodles.get(`/api/v1/inventory/search?lat=31.33&lon=121.52&radiusKm=1&dayparts=morning&from=${plus(1)}&to=${plus(1)}`);
    expect(r.body.items[0].slots[0]).toMatchObject({ expectedUnlocks: 100, estimatedReach: 25 });
  });
});

describe('booking', () => {
  it('books every slot, prices it, and shows it as used capacity', async () => {
    const r = await f.noodles.post('/api/v1/campaigns', booking({ dayparts: ['morning', 'evening'], units: 2 }));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'active', slots: 4, priceCents: 2 * (1500 + 1500) * 2, merchantId: f.accounts.noodles.merchantId });
    const s = await f.bakery.get(`/api/v1/inventory/search?lat=31.23&lon=121.47&radiusKm=1&dayparts=morning&from=${plus(1)}&to=${plus(1)}`);
    expect(s.body.items[0].slots[0]).toMatchObject({ usedUnits: 2, availableUnits: 4 });
    const one = await f.noodles.get(`/api/v1/campaigns/${r.body.id}`);
    expect(one.body.bookedSlots).toHaveLength(4);
  });

  it('flows into the manifest of every device at the site, and out again on cancel', async () => {
    await f.broker.addDevice('maple', 'gate-1');
    await f.broker.addDevice('oak', 'gate-9');
    const r = await f.noodles.post('/api/v1/campaigns', booking({ name: 'Lunch', dayparts: ['midday'] }));
    await f.broker.market.idle();
    const listed = () => {
      const m = f.broker.manifests.current({ site: 'maple', device: 'gate-1' });
      const body = JSON.parse(m!.envelope.body) as { campaignSet: { campaigns: { id: string; tier: string; dayparts: unknown; scope: unknown; creatives: { sha256: string }[] }[] }; creatives: { sha256: string }[] };
      return { body, c: body.campaignSet.campaigns.find((x) => x.id === r.body.id) };
    };
    const { body, c } = listed();
    expect(c).toMatchObject({ tier: 'paid', dayparts: [{ start: '10:00', end: '14:00' }], scope: { sites: ['maple'] } });
    expect(body.creatives.map((x) => x.sha256)).toContain(c!.creatives[0]!.sha256);
    const oak = JSON.parse(f.broker.manifests.current({ site: 'oak', device: 'gate-9' })!.envelope.body) as { campaignSet: { campaigns: { id: string }[] } };
    expect(oak.campaignSet.campaigns.map((x) => x.id)).not.toContain(r.body.id);
    const cancelled = await f.noodles.post(`/api/v1/campaigns/${r.body.id}/cancel`);
    expect(cancelled.body.status).toBe('cancelled');
    await f.broker.market.idle();
    expect(listed().c).toBeUndefined();
  });

  it('all or nothing: a booking short of capacity in one slot books none, and says which', async () => {
    const before = await f.operator.get(`/api/v1/revenue?from=${plus(0)}&to=${plus(30)}`);
    // Oak holds 4 units; take 3 on day 2, then ask for 2 on days 1–3.
    expect((await f.bakery.post('/api/v1/campaigns', booking({ sites: ['oak'], dates: { from: plus(2), to: plus(2) }, units: 3, creatives: [bakeryClip] }))).status).toBe(201);
    const r = await f.noodles.post('/api/v1/campaigns', booking({ sites: ['oak'], dates: { from: plus(1), to: plus(3) }, units: 2 }));
    expect(r.status).toBe(409);
    expect(r.body.slots).toEqual([{ site: 'oak', date: plus(2), daypart: 'morning', availableUnits: 1 }]);
    const s = await f.noodles.get(`/api/v1/inventory/search?lat=31.33&lon=121.52&radiusKm=1&dayparts=morning&from=${plus(1)}&to=${plus(3)}`);
    expect(s.body.items[0].slots.map((x: { usedUnits: number }) => x.usedUnits)).toEqual([0, 3, 0]);
    const after = await f.operator.get(`/api/v1/revenue?from=${plus(0)}&to=${plus(30)}`);
    expect(after.body.totalCents - before.body.totalCents).toBe(3 * 1500);
  });

  it('parallel requests for the last units never oversell', async () => {
    // Maple evening on day 5: 6 units. 24 bookings of 1 unit from two merchants at once.
    const reqs = Array.from({ length: 24 }, (_, i) =>
      (i % 2 ? f.bakery : f.noodles).post('/api/v1/campaigns', booking({ name: `rush ${i}`, dayparts: ['evening'], dates: { from: plus(5), to: plus(5) }, creatives: [i % 2 ? bakeryClip : noodleClip] })),
    );
    const results = await Promise.all(reqs);
    expect(results.filter((r) => r.status === 201)).toHaveLength(6);
    expect(results.filter((r) => r.status === 409)).toHaveLength(18);
    const row = await f.broker.market.sites.db.get("SELECT used_units, capacity_units FROM slots WHERE site = 'maple' AND date = ? AND daypart = 'evening'", [plus(5)]);
    expect(row).toEqual({ used_units: 6, capacity_units: 6 });
    const sold = await f.broker.market.sites.db.get("SELECT sum(units) AS n FROM bookings WHERE site = 'maple' AND date = ? AND daypart = 'evening' AND released_at IS NULL", [plus(5)]);
    expect(sold).toEqual({ n: 6 });
  });

  it('cancellation frees future capacity for someone else', async () => {
    const a = await f.noodles.post('/api/v1/campaigns', booking({ name: 'late', dayparts: ['late'], dates: { from: plus(7), to: plus(7) }, units: 6 }));
    expect(a.status).toBe(201);
    expect((await f.bakery.post('/api/v1/campaigns', booking({ dayparts: ['late'], dates: { from: plus(7), to: plus(7) }, creatives: [bakeryClip] }))).status).toBe(409);
    expect((await f.noodles.post(`/api/v1/campaigns/${a.body.id}/cancel`)).body).toMatchObject({ status: 'cancelled', priceCents: 0 });
    expect((await f.bakery.post('/api/v1/campaigns', booking({ dayparts: ['late'], dates: { from: plus(7), to: plus(7) }, creatives: [bakeryClip] }))).status).toBe(201);
  });

  it('targets only segments the site defines', async () => {
    await f.broker.campaigns.setSite('maple', { ...(await f.broker.campaigns.site('maple')), segmentRules: [{ name: 'school-run', kind: 'window-days', window: { start: '07:00', end: '09:00' }, minDays: 3 }] });
    expect((await f.noodles.get('/api/v1/sites/maple/segments')).body.items).toEqual([{ name: 'school-run', kind: 'window-days' }]);
    const ok = await f.noodles.post('/api/v1/campaigns', booking({ name: 'parents', dates: { from: plus(11), to: plus(11) }, segments: ['school-run'] }));
    expect(ok.status).toBe(201);
    await f.broker.market.idle();
    const c = JSON.parse(f.broker.manifests.current({ site: 'maple', device: 'gate-1' })!.envelope.body).campaignSet.campaigns.find((x: { id: string }) => x.id === ok.body.id);
    expect(c.segments).toEqual(['school-run']);
    const bad = await f.noodles.post('/api/v1/campaigns', booking({ sites: ['maple', 'oak'], dates: { from: plus(11), to: plus(11) }, segments: ['school-run'] }));
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0]).toEqual({ path: 'body.segments.0', message: 'segment school-run is not defined at oak' });
  });

  it('refuses bad bookings with field paths and books nothing', async () => {
    const count = async () => (await f.broker.market.sites.db.get<{ n: number }>('SELECT count(*) AS n FROM market_campaigns'))!.n;
    const before = await count();
    const cases: [Record<string, unknown>, string][] = [
      [booking({ dates: { from: plus(3), to: plus(1) } }), 'body.dates.to'],
      [booking({ dates: { from: plus(-2), to: plus(1) } }), 'body.dates.from'],
      [booking({ sites: ['nowhere'] }), 'body.sites.0'],
      [booking({ dayparts: ['brunch'] }), 'body.dayparts.0'],
      [booking({ units: 0 }), 'body.units'],
      [booking({ creatives: [bakeryClip] }), 'body.creatives.0'],
      [booking({ creatives: [] }), 'body.creatives'],
      [booking({ days: [9] }), 'body.days.0'],
      [booking({ surprise: 1 }), 'body'],
      [booking({ dates: { from: plus(1), to: plus(200) } }), 'body.dates.to'],
    ];
    for (const [body, path] of cases) {
      const r = await f.noodles.post('/api/v1/campaigns', body);
      expect([path, r.status]).toEqual([path, 400]);
      expect(r.body.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
    expect(await count()).toBe(before);
  });
});

describe('ownership', () => {
  it("a merchant never sees another merchant's campaign or creative: 404, not 403", async () => {
    const mine = await f.noodles.post('/api/v1/campaigns', booking({ name: 'secret', dates: { from: plus(9), to: plus(9) } }));
    for (const path of [`/api/v1/campaigns/${mine.body.id}`, `/api/v1/campaigns/${mine.body.id}/report`, `/api/v1/creatives/${noodleClip}`]) {
      expect([path, (await f.bakery.get(path)).status]).toEqual([path, 404]);
    }
    expect((await f.bakery.post(`/api/v1/campaigns/${mine.body.id}/cancel`)).status).toBe(404);
    expect((await f.broker.market.bookings.get(mine.body.id))?.status).toBe('active');
    const list = await f.bakery.get('/api/v1/campaigns?limit=500');
    expect(list.body.items.every((c: { merchantId: string }) => c.merchantId === f.accounts.bakery.merchantId)).toBe(true);
    expect(JSON.stringify(list.body)).not.toContain('secret');
    expect((await f.operator.get(`/api/v1/campaigns/${mine.body.id}`)).status).toBe(200);
  });

  it('pages campaigns with a cursor and exports them as CSV', async () => {
    const p1 = await f.noodles.get('/api/v1/campaigns?limit=2');
    expect(p1.body.items).toHaveLength(2);
    const p2 = await f.noodles.get(`/api/v1/campaigns?limit=2&cursor=${p1.body.nextCursor}`);
    expect(p2.body.items[0].id).not.toBe(p1.body.items[1].id);
    expect(p2.body.items[0].createdAt <= p1.body.items[1].createdAt).toBe(true);
    const csv = await f.noodles.get('/api/v1/campaigns?format=csv');
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (csv.body as string).trim().split('\r\n');
    expect(lines[0]).toMatch(/^id,merchantId,name,status/);
    expect(lines.length - 1).toBe((await f.noodles.get('/api/v1/campaigns?limit=500')).body.items.length);
  });

  it('operators see fill and revenue per site × daypart', async () => {
    const fill = await f.operator.get(`/api/v1/inventory/fill?from=${plus(5)}&to=${plus(5)}`);
    expect(fill.body.items.find((x: { site: string; daypart: string }) => x.site === 'maple' && x.daypart === 'evening')).toMatchObject({ capacityUnits: 6, usedUnits: 6, fill: 1 });
    expect(fill.body.items).toHaveLength(12);
    const csv = await f.operator.get(`/api/v1/revenue?from=${plus(0)}&to=${plus(30)}&format=csv`);
    expect((csv.body as string).split('\r\n')[0]).toBe('site,daypart,cents');
  });
});

describe('fleet', () => {
  it('pages the fleet in (site, device) order, filters by site and status, and exports CSV', async () => {
    for (const d of ['a-1', 'a-2', 'b-1']) await f.broker.addDevice('maple-annex', d);
    await f.broker.addDevice('maple', 'z-9');
    const all = (await f.operator.get('/api/v1/fleet?limit=500')).body;
    const keys = all.items.map((d: { site: string; device: string }) => `${d.site} ${d.device}`);
    expect(keys).toEqual([...keys].sort());
    expect(all.summary).toMatchObject({ devices: keys.length, online: 0, offline: keys.length });
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 20; i++) {
      const r: { items: { site: string; device: string }[]; nextCursor: string | null } = (await f.operator.get(`/api/v1/fleet?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body;
      seen.push(...r.items.map((d) => `${d.site} ${d.device}`));
      cursor = r.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(keys);
    expect((await f.operator.get('/api/v1/fleet?site=maple-annex')).body.items).toHaveLength(3);
    expect((await f.operator.get('/api/v1/fleet?status=online')).body.items).toHaveLength(0);
    expect((await f.operator.get('/api/v1/fleet?cursor=bm9wZQ')).status).toBe(400);
    expect(((await f.operator.get('/api/v1/fleet?format=csv')).body as string).split('\r\n')[0]).toMatch(/^site,device,/);
  });
});
