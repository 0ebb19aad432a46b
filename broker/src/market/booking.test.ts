// Booking across processes: several broker processes on one state database, racing for the
// last units of one slot, sell exactly its capacity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTestCreative, type MarketFixture, startMarketFixture } from '../api/testing.js';
import { gatedChild } from '../testing.js';
import { localHourOf } from './site-time.js';

let f: MarketFixture;
beforeAll(async () => {
  f = await startMarketFixture();
});
afterAll(() => f.broker.destroy());

const child = (args: string[]) => gatedChild([new URL('./testing/book-child.ts', import.meta.url).pathname, ...args]);

describe('booking from several processes', () => {
  it('sells exactly the capacity of a slot when three processes race for it', async () => {
    const date = new Date(Date.parse(`${localHourOf(Date.now(), 'Asia/Shanghai').date}T00:00:00Z`) + 10 * 86_400_000).toISOString().slice(0, 10);
    const clip = await addTestCreative(f.broker, f.accounts.noodles.merchantId!);
    const kids = [0, 1, 2].map(() => child([f.broker.stateDir, f.accounts.noodles.merchantId!, clip, date, '5']));
    await Promise.all(kids.map((k) => k.ready));
    for (const k of kids) k.go();
    const results = (await Promise.all(kids.map((k) => k.done))).map((o) => JSON.parse(o) as { ok: number; full: number });
    expect(results.reduce((n, r) => n + r.ok, 0)).toBe(6);
    expect(results.reduce((n, r) => n + r.full, 0)).toBe(9);
    const row = f.broker.market.sites.db.prepare("SELECT used_units FROM slots WHERE site = 'maple' AND date = ? AND daypart = 'evening'").get(date);
    expect(row).toEqual({ used_units: 6 });
    // And the broker's own API agrees with what the other processes sold.
    const s = await f.bakery.get(`/api/v1/inventory/search?lat=31.23&lon=121.47&radiusKm=1&dayparts=evening&from=${date}&to=${date}`);
    expect(s.body.items[0].slots[0]).toMatchObject({ usedUnits: 6, availableUnits: 0 });
  }, 90_000);

  it('the database refuses an oversold slot even if code forgets to check', () => {
    const db = f.broker.market.sites.db;
    db.prepare("INSERT INTO slots (site, date, daypart, capacity_units, used_units) VALUES ('maple', '2099-01-01', 'night', 2, 2)").run();
    expect(() => db.prepare("UPDATE slots SET used_units = 3 WHERE site = 'maple' AND date = '2099-01-01'").run()).toThrow(/CHECK constraint failed/);
  });
});
