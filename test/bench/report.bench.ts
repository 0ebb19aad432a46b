// Marketplace issue: a campaign's full report over 10,000,000 impressions (SQLite) in ≤ 500 ms.
// The store file is built once and cached (report/dataset.ts); a test broker opens it, its market
// gets the sites and the booked campaigns, and each figure is timed through Market.report(), then
// split into the store's SQL (campaignFacts), buildReport and scheduledPlays with the arguments
// Market.report passes. Every round times all three reports in turn.

import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Market } from '../../broker/src/market/market.js';
import { buildReport } from '../../broker/src/market/report.js';
import { addDays, datesBetween, utcSpanOf } from '../../broker/src/market/site-time.js';
import type { CampaignFact } from '../../broker/src/store/impression-store.js';
import { SqliteImpressionStore } from '../../broker/src/store/sqlite-impression-store.js';
import { startTestBroker } from '../../broker/src/testing.js';
import { type Dataset, type DatasetCampaign, dataset, TIMEZONE } from './report/dataset.js';
import { type BenchResult, median, percentile, round } from './result.js';

const N = Number(process.env.DOORCAST_BENCH_REPORT_ROWS ?? 10_000_000);
const ROUNDS = Number(process.env.DOORCAST_BENCH_REPORT_ROUNDS ?? 15);
const CAPACITY = 20;

/** The market's rows for the dataset: its sites, one merchant, the campaigns with their slots. */
async function seedMarket(m: Market, ds: Dataset): Promise<void> {
  for (const s of ds.sites) {
    await m.sites.create({ id: s.id, name: s.id, lat: s.lat, lon: s.lon, timezone: TIMEZONE, doors: s.devices.map((d) => ({ id: d.id, name: d.id })), capacityUnits: CAPACITY });
  }
  const owner = await m.accounts.create({ email: 'bench@shop.test', name: 'Bench', role: 'merchant', password: 'bench-secret-1', merchant: { name: 'Bench Shop', lat: 31.2, lon: 121.4 } });
  // Booked dates lie in the past, which book() refuses; the rows are what book() writes.
  await m.sites.db.tx(async (q) => {
    for (const c of ds.campaigns) {
      const spec = { name: c.id, sites: c.sites, dayparts: c.dayparts, dates: { from: c.from, to: c.to }, units: 1, creatives: c.creatives };
      await q.run("INSERT INTO market_campaigns (id, merchant_id, name, status, spec, price_cents, created_at) VALUES (?, ?, ?, 'booked', ?, 0, ?)", [
        c.id,
        owner.merchantId,
        c.id,
        JSON.stringify(spec),
        new Date().toISOString(),
      ]);
      for (const s of c.sites) {
        for (const date of datesBetween(c.from, c.to)) {
          for (const dp of c.dayparts) {
            await q.run('INSERT INTO slots (site, date, daypart, capacity_units, used_units) VALUES (?, ?, ?, ?, 1) ON CONFLICT (site, date, daypart) DO UPDATE SET used_units = slots.used_units + 1', [s, date, dp, CAPACITY]);
            await q.run('INSERT INTO bookings (campaign_id, site, date, daypart, units, price_cents) VALUES (?, ?, ?, ?, 1, 100)', [c.id, s, date, dp]);
          }
        }
      }
    }
  });
}

interface Case {
  label: string;
  campaign: DatasetCampaign;
  range: { from?: string; to?: string };
  /** Stored impressions the report must count (full ranges only). */
  rows?: number;
  total: number[];
  sql: number[];
  build: number[];
  scheduled: number[];
  facts: number;
}

/** The UTC span, dates and zones Market.report derives from a campaign and a range. */
async function reportArgs(m: Market, id: string, range: { from?: string; to?: string }) {
  const c = (await m.bookings.get(id))!;
  const zones = new Map<string, string>();
  for (const s of c.sites) zones.set(s, (await m.sites.get(s))?.timezone ?? 'UTC');
  const from = range.from ?? c.dates.from;
  const to = range.to ?? c.dates.to;
  return { from, to, zones, dates: datesBetween(from, to, 366), ...utcSpanOf(from, to, zones.values()) };
}

async function measure(m: Market, store: SqliteImpressionStore, k: Case, minCohort: number): Promise<void> {
  let t = performance.now();
  const report = await m.report(k.campaign.id, k.range);
  k.total.push(performance.now() - t);
  if (k.rows !== undefined && (report.totals.plays ?? 0) + (report.totals.failed ?? 0) !== k.rows) {
    throw new Error(`${k.label}: report counts ${report.totals.plays} + ${report.totals.failed}, the store holds ${k.rows}`);
  }
  const a = await reportArgs(m, k.campaign.id, k.range);
  t = performance.now();
  const facts: CampaignFact[] = await store.campaignFacts(k.campaign.id, a.fromIso, a.toIso);
  k.sql.push(performance.now() - t);
  k.facts = facts.length;
  t = performance.now();
  const scheduled = await m.inventory.scheduledPlays(k.campaign.id, a.from, a.to);
  k.scheduled.push(performance.now() - t);
  t = performance.now();
  const again = buildReport({ campaignId: k.campaign.id, from: a.from, to: a.to, dates: a.dates, minCohort, facts, timeZoneOf: (s) => a.zones.get(s) ?? 'UTC', scheduled });
  k.build.push(performance.now() - t);
  if (JSON.stringify(again) !== JSON.stringify(report)) throw new Error(`${k.label}: the split pipeline built a different report`);
}

/**
 * The alternative shape, for comparison: the exact counts done inside SQLite, so only the cells
 * cross into JavaScript. One run each (they take seconds, and the figure is the order of size).
 */
function inStoreCounts(store: SqliteImpressionStore, campaignId: string): BenchResult[] {
  const from = 'FROM impressions INDEXED BY impressions_campaign_hour WHERE campaign_id = ?';
  const queries: [string, string][] = [
    ['count(*)', `SELECT count(*) ${from}`],
    ['totals with count(DISTINCT pseudonym)', `SELECT count(*), sum(outcome = 'completed'), count(DISTINCT pseudonym) ${from}`],
    ['by site-local day (+08:00) with distinct residents', `SELECT date(wall_time, '+480 minutes') d, count(*), count(DISTINCT pseudonym) ${from} GROUP BY d`],
    ['by site, device, door with distinct residents', `SELECT site, device, door, count(*), count(DISTINCT pseudonym) ${from} GROUP BY site, device, door`],
    ['frequency buckets', `SELECT min(k, 3) b, count(*) FROM (SELECT count(*) k ${from} AND pseudonym IS NOT NULL GROUP BY pseudonym) GROUP BY b`],
  ];
  return queries.map(([label, sql]) => {
    const t = performance.now();
    const rows = store.db.prepare(sql).all(campaignId).length;
    return { name: `  in-store counts, big campaign: ${label}`, value: round(performance.now() - t, 1), unit: 'ms', note: `${rows} cell(s)` };
  });
}

export async function run(): Promise<BenchResult[]> {
  const load0 = loadavg();
  const ds = dataset(N, (line) => console.log(line));
  if (ds.build) console.log(`  built ${ds.total.toLocaleString('en')} impressions in ${ds.build.seconds.toFixed(1)} s (${ds.build.method}): insert ${ds.build.insertSeconds.toFixed(1)} s, indexes ${ds.build.indexSeconds.toFixed(1)} s, ${(ds.build.bytes / 2 ** 30).toFixed(2)} GiB`);
  else console.log(`  cached: ${ds.path}`);
  const store = new SqliteImpressionStore(ds.path);
  const broker = await startTestBroker({ stateDir: mkdtempSync(join(tmpdir(), 'dc-bench-report-')), log: { level: 'error' } }, { store });
  try {
    await seedMarket(broker.market, ds);
    const bySize = [...ds.campaigns].sort((a, b) => b.rows - a.rows);
    const big = bySize[0]!;
    const mid = bySize[Math.floor(bySize.length / 2)]!;
    const mk = (label: string, campaign: DatasetCampaign, range: Case['range'], rows?: number): Case => ({ label, campaign, range, ...(rows === undefined ? {} : { rows }), total: [], sql: [], build: [], scheduled: [], facts: 0 });
    const cases = [
      mk(`big campaign, full report (${big.rows.toLocaleString('en')} impressions, ${big.sites.length} sites, ${datesBetween(big.from, big.to).length} days)`, big, {}, big.rows),
      mk(`median campaign, full report (${mid.rows.toLocaleString('en')} impressions, ${mid.sites.length} sites, ${datesBetween(mid.from, mid.to).length} days)`, mid, {}, mid.rows),
      mk('big campaign, last 7 days', big, { from: addDays(big.to, -6), to: big.to }),
    ];
    const minCohort = broker.config.market.minCohort;
    const first: number[] = [];
    for (const k of cases) {
      await measure(broker.market, store, k, minCohort);
      first.push(k.total.pop()!);
      k.sql.pop();
      k.build.pop();
      k.scheduled.pop();
    }
    for (let r = 0; r < ROUNDS; r++) for (const k of cases) await measure(broker.market, store, k, minCohort);
    const load1 = loadavg();
    const out: BenchResult[] = [];
    cases.forEach((k, i) => {
      out.push({ name: `${k.label}: Market.report`, value: round(median(k.total), 1), unit: 'ms', note: `p95 ${round(percentile(k.total, 95), 1)}, first (cold) ${round(first[i]!, 1)}${i === 0 ? ', aim ≤ 500' : ''}` });
      out.push({ name: '  of which campaignFacts (SQL)', value: round(median(k.sql), 1), unit: 'ms', note: `p95 ${round(percentile(k.sql, 95), 1)}; ${k.facts.toLocaleString('en')} fact rows` });
      out.push({ name: '  of which buildReport', value: round(median(k.build), 1), unit: 'ms', note: `p95 ${round(percentile(k.build, 95), 1)}` });
      out.push({ name: '  of which scheduledPlays', value: round(median(k.scheduled), 1), unit: 'ms', note: `p95 ${round(percentile(k.scheduled, 95), 1)}` });
    });
    out.push({ name: 'rounds (each figure side by side per round)', value: ROUNDS, unit: '', note: `load average ${load0.map((x) => x.toFixed(2)).join(' ')} → ${load1.map((x) => x.toFixed(2)).join(' ')}` });
    out.push(...inStoreCounts(store, big.id));
    if (ds.build) out.push({ name: `store built (${ds.total.toLocaleString('en')} impressions)`, value: round(ds.build.seconds, 1), unit: 's', note: ds.build.method });
    return out;
  } finally {
    // The broker closes the store; the cached file stays for the next run.
    await broker.destroy();
  }
}
