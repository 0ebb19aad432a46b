// Marketplace issue: booking API latency under 200 concurrent requests, and the inventory search
// a merchant's phone calls most. The broker runs as deployed (`doorcast-broker serve`, its own
// process, SQLite with synchronous=FULL); its accounts, sites, devices and creatives are made
// in-process first on the same state dir. 200 merchants each hold one keep-alive connection and
// fire in waves, some fighting for the same slots (409s are part of the workload). Afterwards
// the state file is checked: no slot oversold, every slot's used units = its bookings' units.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { addTestCreative } from '../../broker/src/api/testing.js';
import type { DaypartId } from '../../broker/src/market/dayparts.js';
import { addDays, localHourOf } from '../../broker/src/market/site-time.js';
import { startTestBroker } from '../../broker/src/testing.js';
import { prng } from '../../firmware-protocol/src/emulator/traffic.js';
import { LoadClient, stats, statusText, type Timed, type WaveStats } from './booking/http-load.js';
import { cpuSeconds, Procs, rssMb, startDoorcastBroker } from './broker/processes.js';
import { type BenchResult, round } from './result.js';

const MERCHANTS = Number(process.env.DOORCAST_BENCH_BOOKING_MERCHANTS ?? 200);
const N_SITES = 40;
const CAPACITY = 6;
const TZ = 'Asia/Shanghai';
const PASSWORD = 'merchant-secret-1';

interface Merchant {
  id: string;
  token: string;
  creative: string;
  lat: number;
  lon: number;
  home: number;
}

interface Setup {
  merchants: Merchant[];
  sites: { id: string; lat: number; lon: number }[];
}

const siteId = (i: number) => `site-${String(((i % N_SITES) + N_SITES) % N_SITES).padStart(3, '0')}`;

/** Accounts, sessions, sites (one device each), creatives: in-process, then the broker stops. */
async function setUp(stateDir: string): Promise<Setup> {
  const b = await startTestBroker({ stateDir, log: { level: 'error' } });
  try {
    const sites = Array.from({ length: N_SITES }, (_, i) => ({ id: siteId(i), lat: 31.15 + 0.014 * (i % 8), lon: 121.4 + 0.016 * Math.floor(i / 8) }));
    for (const s of sites) {
      await b.market.sites.create({ id: s.id, name: `Court ${s.id}`, lat: s.lat, lon: s.lon, timezone: TZ, doors: [{ id: 'east', name: 'East gate' }], capacityUnits: CAPACITY });
      await b.addDevice(s.id, 'gate-1');
    }
    const merchants: Merchant[] = [];
    // scrypt runs on the libuv pool: a few at a time.
    for (let i = 0; i < MERCHANTS; i += 8) {
      const batch = Array.from({ length: Math.min(8, MERCHANTS - i) }, async (_, j) => {
        const n = i + j;
        const home = n % N_SITES;
        const at = { lat: sites[home]!.lat + 0.0015, lon: sites[home]!.lon + 0.001 };
        const email = `m${n}@shop.test`;
        const a = await b.market.accounts.create({ email, name: `M${n}`, role: 'merchant', password: PASSWORD, merchant: { name: `Shop ${n}`, ...at } });
        const login = await b.market.accounts.login(email, PASSWORD);
        if (!login.ok) throw new Error(`sign-in of ${email}: ${login.reason}`);
        return { id: a.merchantId!, token: login.token, creative: await addTestCreative(b, a.merchantId!), ...at, home };
      });
      merchants.push(...(await Promise.all(batch)));
    }
    return { merchants, sites };
  } finally {
    await b.stop();
  }
}

const ALL: DaypartId[] = ['night', 'morning', 'midday', 'afternoon', 'evening', 'late'];

interface Wave {
  name: string;
  body(m: Merchant, i: number): Record<string, unknown>;
}

function waves(first: string): Wave[] {
  const d = (n: number) => addDays(first, n);
  const mixed = (seed: number, from: number) => {
    const r = prng(seed);
    const popular = Array.from({ length: 8 }, () => Math.floor(r() * N_SITES));
    return (m: Merchant) => {
      const sites = [...new Set([siteId(popular[Math.floor(r() * 8)]!), ...(r() < 0.3 ? [siteId(m.home)] : [])])];
      const dayparts = [...new Set([ALL[Math.floor(r() * 6)]!, ALL[Math.floor(r() * 6)]!])];
      return { sites, dayparts, dates: { from: d(from), to: d(from + 6) } };
    };
  };
  const m2 = mixed(2, 8);
  const m4 = mixed(4, 21);
  return [
    // Five merchants per site, capacity 6: everyone fits.
    { name: 'spread: own site, morning+evening, 7 days (14 slots)', body: (m) => ({ sites: [siteId(m.home)], dayparts: ['morning', 'evening'], dates: { from: d(1), to: d(7) } }) },
    { name: 'mixed: 8 popular sites, 1–2 dayparts, 7 days', body: (m) => m2(m) },
    { name: 'hot: all 200 want one evening slot (capacity 6)', body: () => ({ sites: [siteId(0)], dayparts: ['evening'], dates: { from: d(20), to: d(20) } }) },
    { name: 'mixed again, other sites and week', body: (m) => m4(m) },
    // Ten merchants want each slot of 6: all-or-nothing bookings of 168 slots collide.
    { name: 'long: own + next site, 3 dayparts, 28 days (168 slots)', body: (m) => ({ sites: [siteId(m.home), siteId(m.home + 1)], dayparts: ['morning', 'midday', 'evening'], dates: { from: d(30), to: d(57) } }) },
  ];
}

async function fire(n: number, call: (i: number) => Promise<Timed>): Promise<{ results: Timed[]; wallMs: number }> {
  const t0 = performance.now();
  // A failed request is an answer with status 0, reported with the wave.
  const results = await Promise.all(Array.from({ length: n }, (_, i) => call(i).catch((e: Error): Timed => ({ status: 0, ms: performance.now() - t0, body: e.message }))));
  return { results, wallMs: performance.now() - t0 };
}

function checkInvariant(stateDir: string): { slots: number; oversold: number; mismatched: number; campaigns: number; bookedUnits: number } {
  const db = new Database(join(stateDir, 'broker.sqlite'), { readonly: true });
  try {
    const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      slots: one('SELECT count(*) AS n FROM slots'),
      oversold: one('SELECT count(*) AS n FROM slots WHERE used_units > capacity_units OR used_units < 0'),
      mismatched: one(`SELECT count(*) AS n FROM (SELECT s.used_units AS used, (SELECT coalesce(sum(b.units), 0) FROM bookings b
        WHERE b.site = s.site AND b.date = s.date AND b.daypart = s.daypart AND b.released_at IS NULL) AS booked FROM slots s) WHERE used <> booked`),
      campaigns: one('SELECT count(*) AS n FROM market_campaigns'),
      bookedUnits: one('SELECT coalesce(sum(units), 0) AS n FROM bookings WHERE released_at IS NULL'),
    };
  } finally {
    db.close();
  }
}

const row = (name: string, s: WaveStats, extra = ''): BenchResult => ({
  name,
  value: s.p99,
  unit: 'ms p99',
  note: `p50 ${s.p50}, p95 ${s.p95}, max ${s.max}; ${s.perSecond}/s; ${statusText(s.statuses)}${extra}`,
});

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-bench-booking-'));
  const stateDir = join(dir, 'state');
  const procs = new Procs();
  let client: LoadClient | undefined;
  try {
    const t0 = performance.now();
    const { merchants } = await setUp(stateDir);
    console.log(`  set up ${merchants.length} merchants, ${N_SITES} sites with a device each, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const broker = await startDoorcastBroker(procs, dir, stateDir);
    client = new LoadClient(broker.httpPort, merchants.length);
    const c = client;
    // Open every connection first, so latencies are requests, not TCP handshakes.
    const warm = await fire(merchants.length, (i) => c.call('GET', '/api/v1/me', merchants[i]!.token));
    if (warm.results.some((r) => r.status !== 200)) throw new Error(`warm-up: ${statusText(stats(warm.results, warm.wallMs).statuses)}`);
    const load0 = loadavg();
    const today = localHourOf(Date.now(), TZ).date;
    const out: BenchResult[] = [];
    const all: Timed[] = [];
    let wallAll = 0;
    const cpu0 = cpuSeconds(broker.pid);
    for (const w of waves(today)) {
      const { results, wallMs } = await fire(merchants.length, (i) => {
        const m = merchants[i]!;
        return c.call('POST', '/api/v1/campaigns', m.token, { name: `bench ${i}`, units: 1, creatives: [m.creative], ...w.body(m, i) });
      });
      const bad = results.find((r) => r.status !== 201 && r.status !== 409);
      if (bad) throw new Error(`${w.name}: ${bad.status} ${bad.body.slice(0, 300)}`);
      all.push(...results);
      wallAll += wallMs;
      out.push(row(`book, wave "${w.name}"`, stats(results, wallMs), `; wave ${round(wallMs, 0)} ms`));
    }
    const bookCpu = cpuSeconds(broker.pid) - cpu0;
    const total = stats(all, wallAll);
    out.push(row(`book, all ${all.length} requests`, total, `; broker CPU ${round(bookCpu, 1)} s`));
    const created = total.statuses[201] ?? 0;

    const searchAll: Timed[] = [];
    let searchWall = 0;
    const cpu1 = cpuSeconds(broker.pid);
    for (let w = 0; w < 3; w++) {
      const { results, wallMs } = await fire(merchants.length, (i) => {
        const m = merchants[i]!;
        return c.call('GET', `/api/v1/inventory/search?lat=${m.lat}&lon=${m.lon}&radiusKm=3&from=${addDays(today, 1 + w)}&to=${addDays(today, 7 + w)}`, m.token);
      });
      const bad = results.find((r) => r.status !== 200);
      if (bad) throw new Error(`search: ${bad.status} ${bad.body.slice(0, 300)}`);
      searchAll.push(...results);
      searchWall += wallMs;
      out.push(row(`inventory search, wave ${w + 1} (7 days, 3 km)`, stats(results, wallMs)));
    }
    const sites = (JSON.parse(searchAll[0]!.body) as { items: unknown[] }).items.length;
    out.push(row(`inventory search, all ${searchAll.length}`, stats(searchAll, searchWall), `; ${sites} sites in the first answer; broker CPU ${round(cpuSeconds(broker.pid) - cpu1, 1)} s`));
    out.push({ name: 'broker RSS after the load', value: round(rssMb(broker.pid), 0), unit: 'MB' });
    const load1 = loadavg();
    client.close();
    client = undefined;
    await procs.killAll();
    const inv = checkInvariant(stateDir);
    if (inv.oversold > 0 || inv.mismatched > 0 || inv.campaigns !== created) throw new Error(`invariant broken: ${JSON.stringify(inv)}, ${created} × 201`);
    out.push({ name: 'slots oversold / slots whose used units ≠ booked units', value: inv.oversold + inv.mismatched, unit: '', note: `${inv.slots} slots, ${inv.bookedUnits} units booked by ${inv.campaigns} campaigns = ${created} × 201` });
    out.push({ name: 'concurrent connections', value: merchants.length, unit: '', note: `broker in its own process; ${c.retries} request(s) retried on a fresh connection after a kept-alive one closed; load average ${load0.map((x) => x.toFixed(2)).join(' ')} → ${load1.map((x) => x.toFixed(2)).join(' ')}` });
    return out;
  } finally {
    client?.close();
    await procs.killAll();
    rmSync(dir, { recursive: true, force: true });
  }
}
