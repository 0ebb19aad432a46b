// Booking under contention, on both state engines (SQLite, and the PostgreSQL a cluster
// shares): parallel bookings never oversell, a booking is all or nothing, processes racing for
// one slot sell exactly its capacity, and the database itself refuses an oversold slot.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresService, startPostgres } from '../../../test/support/postgres.js';
import { addTestCreative, type MarketFixture, startMarketFixture } from '../api/testing.js';
import { CreativeRows } from '../creatives/creative-rows.js';
import { openSqliteStateDb } from '../db/database.js';
import { PostgresStateDb } from '../db/postgres-state-db.js';
import { type StateDb, violatedConstraint } from '../db/state-db.js';
import { CampaignTable } from '../manifest/campaigns.js';
import { gatedChild } from '../testing.js';
import { Bookings } from './booking.js';
import { MarketError } from './errors.js';
import { localHourOf } from './site-time.js';
import { SiteStore } from './sites.js';

const child = (args: string[]) => gatedChild([new URL('./testing/book-child.ts', import.meta.url).pathname, ...args]);
const day = (n: number) => new Date(Date.parse(`${localHourOf(Date.now(), 'Asia/Shanghai').date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** Three processes, five one-unit bookings each, for one slot of 6: exactly 6 succeed. */
async function race(state: string, merchantId: string, clip: string, date: string): Promise<{ ok: number; full: number }> {
  const kids = [0, 1, 2].map(() => child([state, merchantId, clip, date, '5']));
  await Promise.all(kids.map((k) => k.ready));
  for (const k of kids) k.go();
  const results = (await Promise.all(kids.map((k) => k.done))).map((o) => JSON.parse(o) as { ok: number; full: number });
  return { ok: results.reduce((n, r) => n + r.ok, 0), full: results.reduce((n, r) => n + r.full, 0) };
}

describe('booking from several processes beside a running broker', () => {
  let f: MarketFixture;
  beforeAll(async () => {
    f = await startMarketFixture();
  });
  afterAll(() => f.broker.destroy());

  it('sells exactly the capacity of a slot, and the broker sees what the others sold', async () => {
    const date = day(10);
    const clip = await addTestCreative(f.broker, f.accounts.noodles.merchantId!);
    expect(await race(f.broker.stateDir, f.accounts.noodles.merchantId!, clip, date)).toEqual({ ok: 6, full: 9 });
    const row = await f.broker.market.sites.db.get("SELECT used_units FROM slots WHERE site = 'maple' AND date = ? AND daypart = 'evening'", [date]);
    expect(row).toEqual({ used_units: 6 });
    const s = await f.bakery.get(`/api/v1/inventory/search?lat=31.23&lon=121.47&radiusKm=1&dayparts=evening&from=${date}&to=${date}`);
    expect(s.body.items[0].slots[0]).toMatchObject({ usedUnits: 6, availableUnits: 0 });
  }, 90_000);
});

interface Opened {
  db: StateDb;
  /** What book-child.ts opens the same database with. */
  state: string;
  close(): Promise<void>;
}

let pg: Promise<PostgresService> | undefined;
afterAll(async () => {
  await (await pg)?.destroy();
}, 30_000);

const backends: { name: string; open(): Promise<Opened> }[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'dc-booking-'));
      const db = openSqliteStateDb(dir);
      const close = async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      };
      return { db, state: dir, close };
    },
  },
  {
    name: 'postgres',
    async open() {
      pg ??= startPostgres();
      const url = await (await pg).createDatabase();
      const db = await PostgresStateDb.open({ url, poolMax: 8 });
      return { db, state: url, close: () => db.close() };
    },
  },
];

describe.each(backends)('booking on $name', (backend) => {
  let o: Opened;
  let bookings: Bookings;
  const merchants = ['m_noodles', 'm_bakery'];
  const clips: string[] = [];

  beforeAll(async () => {
    o = await backend.open();
    const db = o.db;
    const sites = new SiteStore(db, new CampaignTable(db));
    const rows = new CreativeRows(db);
    const at = new Date().toISOString();
    for (const [i, m] of merchants.entries()) {
      await db.run('INSERT INTO merchants (id, name, lat, lon, created_at) VALUES (?, ?, ?, ?, ?)', [m, m, 31.23, 121.47, at]);
      const id = `cr_${String(i).repeat(20)}`;
      const sha = String(i + 1).repeat(64);
      await rows.insert({ id, merchantId: m, name: 'clip.mp4', originalSha256: sha, bytes: 1, durationMs: 4000, width: 800, height: 480, codec: 'h264', owner: 'test', at });
      await rows.markReady(id, [{ profile: 'gate-7in', sha256: sha, bytes: 1, durationMs: 4000, width: 800, height: 480 }], { file: `${id}.png`, bytes: 1, atMs: 0 }, at);
      clips.push(id);
    }
    await sites.create({ id: 'maple', name: 'Maple Court', lat: 31.23, lon: 121.47, timezone: 'Asia/Shanghai', doors: [{ id: 'east', name: 'East gate' }], capacityUnits: 6 });
    await sites.create({ id: 'oak', name: 'Oak Gardens', lat: 31.33, lon: 121.52, timezone: 'Asia/Shanghai', doors: [{ id: 'north', name: 'North gate' }], capacityUnits: 4 });
    bookings = new Bookings(db, sites, rows);
  }, 60_000);
  afterAll(() => o.close());

  const book = (i: number, over: Record<string, unknown>) =>
    bookings.book(merchants[i % 2]!, { name: `b${i}`, sites: ['maple'], dayparts: ['evening'], dates: { from: day(5), to: day(5) }, creatives: [clips[i % 2]!], ...over }).then(
      (c) => ({ ok: true as const, c }),
      (err: unknown) => {
        // Anything but a clean 409 (a deadlock, a constraint error) fails the test.
        if (!(err instanceof MarketError && err.code === 'conflict')) throw err;
        return { ok: false as const, err };
      },
    );

  /** Every slot: within capacity, and exactly what its live bookings hold. */
  async function consistent(): Promise<void> {
    const slots = await o.db.all<{ site: string; date: string; daypart: string; used_units: number; capacity_units: number }>('SELECT * FROM slots ORDER BY site, date, daypart');
    const held = await o.db.all<{ site: string; date: string; daypart: string; n: number }>(
      'SELECT site, date, daypart, sum(units) AS n FROM bookings WHERE released_at IS NULL GROUP BY site, date, daypart',
    );
    const by = new Map(held.map((h) => [`${h.site}|${h.date}|${h.daypart}`, h.n]));
    for (const s of slots) {
      expect(s.used_units).toBeLessThanOrEqual(s.capacity_units);
      expect([s.site, s.date, s.daypart, s.used_units]).toEqual([s.site, s.date, s.daypart, by.get(`${s.site}|${s.date}|${s.daypart}`) ?? 0]);
    }
  }

  it('24 parallel bookings for a slot of 6 units: exactly 6 succeed', async () => {
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => book(i, {})));
    expect(results.filter((r) => r.ok)).toHaveLength(6);
    expect(await o.db.get("SELECT used_units, capacity_units FROM slots WHERE site = 'maple' AND date = ? AND daypart = 'evening'", [day(5)])).toEqual({ used_units: 6, capacity_units: 6 });
    expect(await o.db.get("SELECT sum(units) AS n FROM bookings WHERE site = 'maple' AND date = ? AND daypart = 'evening'", [day(5)])).toEqual({ n: 6 });
    await consistent();
  });

  it('all or nothing: overlapping multi-slot bookings racing each other, sites in either order', async () => {
    const before = (await o.db.get<{ n: number }>('SELECT count(*) AS n FROM market_campaigns'))!.n;
    // 2 sites × 3 days × 2 dayparts = 12 slots each; Oak's 4 units run out first.
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => book(i, { sites: i % 2 ? ['oak', 'maple'] : ['maple', 'oak'], dayparts: i % 3 ? ['morning', 'evening'] : ['evening', 'morning'], dates: { from: day(20), to: day(22) }, units: 1 + (i % 3) })),
    );
    const won = results.flatMap((r) => (r.ok ? [r.c] : []));
    expect(won.length).toBeGreaterThan(0);
    expect(won.length).toBeLessThan(results.length);
    for (const c of won) expect(c.slots).toBe(12);
    // A refused booking left no campaign row and no booking row behind.
    expect((await o.db.get<{ n: number }>('SELECT count(*) AS n FROM market_campaigns'))!.n - before).toBe(won.length);
    const oak = await o.db.all<{ used_units: number }>("SELECT used_units FROM slots WHERE site = 'oak' AND date >= ? AND date <= ?", [day(20), day(22)]);
    expect(oak.every((s) => s.used_units === oak[0]!.used_units)).toBe(true);
    for (const r of results) if (!r.ok) expect((r.err.details as { slots: unknown[] }).slots.length).toBeGreaterThan(0);
    await consistent();
  });

  it('three processes racing for one slot sell exactly its capacity', async () => {
    expect(await race(o.state, merchants[0]!, clips[0]!, day(10))).toEqual({ ok: 6, full: 9 });
    expect(await o.db.get("SELECT used_units FROM slots WHERE site = 'maple' AND date = ? AND daypart = 'evening'", [day(10)])).toEqual({ used_units: 6 });
    await consistent();
  }, 90_000);

  it('two cancellations of one campaign racing free its capacity once', async () => {
    const r = await book(0, { dates: { from: day(30), to: day(31) }, units: 4 });
    expect(r.ok).toBe(true);
    const id = r.ok ? r.c.id : '';
    const [a, b] = await Promise.all([bookings.cancel(id), bookings.cancel(id)]);
    expect([a.status, b.status]).toEqual(['cancelled', 'cancelled']);
    expect(await o.db.all("SELECT used_units FROM slots WHERE site = 'maple' AND date >= ? AND date <= ? ORDER BY date", [day(30), day(31)])).toEqual([{ used_units: 0 }, { used_units: 0 }]);
    expect((await bookings.get(id))?.priceCents).toBe(0);
    await consistent();
  });

  it('the database refuses an oversold slot even if code forgets to check', async () => {
    await o.db.run("INSERT INTO slots (site, date, daypart, capacity_units, used_units) VALUES ('maple', '2099-01-01', 'night', 2, 2)");
    const err = await o.db.run("UPDATE slots SET used_units = 3 WHERE site = 'maple' AND date = '2099-01-01'").then(
      () => null,
      (e: unknown) => e,
    );
    expect(violatedConstraint(err)).toBe('check');
  });
});
