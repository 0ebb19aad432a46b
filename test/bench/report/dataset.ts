// The report bench's data: 10,000,000 impressions in a real SqliteImpressionStore file, cached
// under .tmp/bench/ by generator version so a rerun does not rebuild it. Rows go in with one
// prepared INSERT of the same columns and `record` JSON that commitImpressions writes, in
// primary-key order, and the store's own indexes are built afterwards (a sort, not 10M random
// B-tree inserts). Deterministic: a seeded generator, fixed dates.
import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { ImpressionRecord } from '../../../broker/src/contract.js';
import { DAYPARTS, type DaypartId, hoursOf } from '../../../broker/src/market/dayparts.js';
import { SqliteImpressionStore } from '../../../broker/src/store/sqlite-impression-store.js';
import { prng } from '../../../firmware-protocol/src/emulator/traffic.js';

/** Bump when anything below changes what is generated. */
export const GENERATOR_VERSION = 1;
export const TIMEZONE = 'Asia/Shanghai';
const UTC_OFFSET_MS = 8 * 3_600_000; // Shanghai has no DST.
export const FIRST_DATE = '2026-08-01';
export const DAYS = 90;
const N_SITES = 200;
const N_CAMPAIGNS = 50;
const N_RESIDENTS = 200_000;
const ANONYMOUS = 0.3;
/** The player's outcome mix: mostly completed, some interrupted by the next unlock, a few failed. */
const COMPLETED = 0.78;
const INTERRUPTED = 0.19;
/** Campaign sizes ∝ rank^-0.6: the biggest holds ~10% of the rows, the median ~1.5%. */
const ZIPF = 0.6;
/** Relative door traffic by site-local hour (school run and the evening return peak). */
const HOURLY = [1, 0.5, 0.3, 0.3, 0.5, 2, 6, 9, 7, 4, 3, 4, 5, 4, 3, 3, 4, 7, 9, 8, 6, 4, 3, 2];

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const CACHE_DIR = join(REPO, '.tmp/bench');

export interface DatasetSite {
  id: string;
  lat: number;
  lon: number;
  devices: { id: string; doors: number[] }[];
  residents: number;
}

export interface DatasetCampaign {
  id: string;
  sites: string[];
  dayparts: DaypartId[];
  from: string;
  to: string;
  creatives: string[];
  /** Impressions stored (every outcome). */
  rows: number;
  /** Of which failed. */
  failed: number;
}

export interface Dataset {
  version: number;
  path: string;
  total: number;
  firstDate: string;
  lastDate: string;
  sites: DatasetSite[];
  campaigns: DatasetCampaign[];
  /** Set when this run built the file. */
  build?: { seconds: number; insertSeconds: number; indexSeconds: number; bytes: number; method: string };
}

const hex20 = (prefix: string, n: number) => `${prefix}_${n.toString(16).padStart(20, '0')}`;
const dateAt = (first: string, i: number) => new Date(Date.parse(`${first}T00:00:00.000Z`) + i * 86_400_000).toISOString().slice(0, 10);

function plan(total: number): { sites: DatasetSite[]; campaigns: DatasetCampaign[]; perSite: Map<string, { c: number; n: number }[]> } {
  const r = prng(20261201);
  const sites: DatasetSite[] = [];
  for (let s = 0; s < N_SITES; s++) {
    const devices = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, d) => ({ id: `gate-${d + 1}`, doors: r() < 0.4 ? [1, 2] : [1] }));
    sites.push({ id: `site-${String(s).padStart(3, '0')}`, lat: 31.1 + r() * 0.3, lon: 121.3 + r() * 0.3, devices, residents: 0 });
  }
  // Residents per site between 500 and 1,500, ~200,000 in all.
  const shares = sites.map(() => 0.5 + r());
  const sum = shares.reduce((a, b) => a + b, 0);
  for (const [i, s] of sites.entries()) s.residents = Math.max(1, Math.round((N_RESIDENTS * shares[i]!) / sum));
  const weights = Array.from({ length: N_CAMPAIGNS }, (_, c) => (c + 1) ** -ZIPF);
  const wsum = weights.reduce((a, b) => a + b, 0);
  const campaigns: DatasetCampaign[] = [];
  const pairs: { c: number; site: string; want: number }[] = [];
  for (let c = 0; c < N_CAMPAIGNS; c++) {
    const nSites = Math.round(3 + 37 * (weights[c]! / weights[0]!));
    const pool = sites.map((s) => s.id);
    const chosen: string[] = [];
    for (let i = 0; i < nSites && pool.length > 0; i++) chosen.push(pool.splice(Math.floor(r() * pool.length), 1)[0]!);
    chosen.sort();
    const dayparts = c === 0 ? DAYPARTS.map((d) => d.id) : DAYPARTS.map((d) => d.id).filter(() => r() < 0.55);
    if (dayparts.length === 0) dayparts.push('evening');
    // The ten biggest run the whole 90 days; the rest 30–90 days inside them.
    const len = c < 10 ? DAYS : 30 + Math.floor(r() * (DAYS - 29));
    const start = Math.floor(r() * (DAYS - len + 1));
    const creatives = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, k) => hex20('cr', c * 8 + k + 1));
    campaigns.push({ id: hex20('c', 0xbe0c00 + c), sites: chosen, dayparts, from: dateAt(FIRST_DATE, start), to: dateAt(FIRST_DATE, start + len - 1), creatives, rows: 0, failed: 0 });
    const per = (total * weights[c]!) / wsum / chosen.length;
    for (const site of chosen) pairs.push({ c, site, want: per * (0.6 + 0.8 * r()) });
  }
  // Scale to exactly `total`, remainder to the largest pairs.
  const f = total / pairs.reduce((a, p) => a + p.want, 0);
  const counts = pairs.map((p) => Math.floor(p.want * f));
  let left = total - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; left > 0 && i < counts.length; i++, left--) counts[i]!++;
  const perSite = new Map<string, { c: number; n: number }[]>();
  pairs.forEach((p, i) => {
    const list = perSite.get(p.site) ?? [];
    list.push({ c: p.c, n: counts[i]! });
    perSite.set(p.site, list);
  });
  return { sites, campaigns, perSite };
}

function pseudonyms(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `k1.${createHash('sha256').update(`resident-${i}`).digest('base64url').slice(0, 22)}`);
}

/** Cumulative traffic weights over the site-local hours of a campaign's dayparts. */
function hourTable(dayparts: readonly DaypartId[]): { hours: number[]; cum: number[] } {
  const hours = dayparts.flatMap((d) => hoursOf(d));
  let acc = 0;
  const cum = hours.map((h) => (acc += HOURLY[h]!));
  return { hours, cum: cum.map((x) => x / acc) };
}

/** The cached dataset, built first if absent. `log` reports progress while building. */
export function dataset(total = 10_000_000, log: (line: string) => void = () => undefined): Dataset {
  const base = join(CACHE_DIR, `report-v${GENERATOR_VERSION}-${total}`);
  const path = `${base}.sqlite`;
  const meta = `${base}.json`;
  if (existsSync(path) && existsSync(meta)) return { ...(JSON.parse(readFileSync(meta, 'utf8')) as Dataset), path };
  mkdirSync(CACHE_DIR, { recursive: true });
  const building = `${base}.building.sqlite`;
  for (const f of [building, `${building}-wal`, `${building}-shm`, `${building}-journal`]) rmSync(f, { force: true });
  const t0 = performance.now();
  // The store creates the file and its schema; its index statements are read back verbatim.
  const template = new SqliteImpressionStore(building);
  const indexes = template.db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'impressions' AND sql IS NOT NULL").all() as { name: string; sql: string }[];
  template.db.close();
  const db = new Database(building);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('cache_size = -1000000');
  for (const ix of indexes) db.exec(`DROP INDEX ${ix.name}`);
  // The columns and values of SqliteImpressionStore.commitImpressions (#insImp).
  const ins = db.prepare(`INSERT INTO impressions (site, device, device_seq, impression_id, batch_id, received_at, campaign_id, creative_id,
      door, pseudonym, outcome, frames_shown, frames_expected, wall_time, clock_synced, record)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, device, device_seq) DO NOTHING`);
  const { sites, campaigns, perSite } = plan(total);
  const names = pseudonyms(N_RESIDENTS);
  const tables = campaigns.map((c) => hourTable(c.dayparts));
  const firstDay = campaigns.map((c) => Math.round((Date.parse(`${c.from}T00:00:00.000Z`) - Date.parse(`${FIRST_DATE}T00:00:00.000Z`)) / 86_400_000));
  const spanDays = campaigns.map((c, i) => Math.round((Date.parse(`${c.to}T00:00:00.000Z`) - Date.parse(`${FIRST_DATE}T00:00:00.000Z`)) / 86_400_000) - firstDay[i]! + 1);
  const day0 = Date.parse(`${FIRST_DATE}T00:00:00.000Z`);
  const r = prng(7);
  let residentBase = 0;
  let written = 0;
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  begin.run();
  for (const site of sites) {
    const mine = perSite.get(site.id) ?? [];
    const keys: number[][] = site.devices.map(() => []);
    // Time in ms × 64 + the campaign's number: one numeric sort orders a device's plays.
    for (const { c, n } of mine) {
      const t = tables[c]!;
      for (let i = 0; i < n; i++) {
        const day = firstDay[c]! + Math.floor(r() * spanDays[c]!);
        const u = r();
        let h = 0;
        while (h < t.cum.length - 1 && t.cum[h]! < u) h++;
        const local = day0 + day * 86_400_000 + t.hours[h]! * 3_600_000 + Math.floor(r() * 3_600_000);
        keys[Math.floor(r() * site.devices.length)]!.push((local - UTC_OFFSET_MS) * 64 + c);
      }
    }
    for (const [d, dev] of site.devices.entries()) {
      const sorted = Float64Array.from(keys[d]!).sort();
      keys[d] = [];
      const bootId = randomUUID();
      const bootMs = day0 - UTC_OFFSET_MS - 86_400_000;
      let batchId = '';
      let receivedAt = '';
      for (let i = 0; i < sorted.length; i++) {
        const key = sorted[i]!;
        const c = key % 64;
        const ms = (key - c) / 64;
        const camp = campaigns[c]!;
        const wallTime = new Date(ms).toISOString();
        // Devices send batches of up to 500, received a little after the last play.
        if (i % 500 === 0) {
          batchId = randomUUID();
          receivedAt = new Date(Math.floor(sorted[Math.min(sorted.length - 1, i + 499)]! / 64) + 5_000).toISOString();
        }
        const resident = r() < ANONYMOUS ? null : names[residentBase + Math.floor(site.residents * r() ** 1.5)]!;
        const o = r();
        const outcome = o < COMPLETED ? 'completed' : o < COMPLETED + INTERRUPTED ? 'interrupted' : 'failed';
        const framesExpected = [100, 150, 250, 375][Math.floor(r() * 4)]!;
        const framesShown = outcome === 'completed' ? framesExpected : outcome === 'interrupted' ? 1 + Math.floor(r() * (framesExpected - 1)) : 0;
        const rec: ImpressionRecord = {
          impressionId: randomUUID(),
          deviceSeq: i + 1,
          campaignId: camp.id,
          creativeId: camp.creatives[Math.floor(r() * camp.creatives.length)]!,
          door: dev.doors[Math.floor(r() * dev.doors.length)]!,
          pseudonym: resident,
          segments: resident ? ['commuter'] : [],
          decisionLatencyMs: Math.round(20 + r() * 200) / 1000,
          firstFrameLatencyMs: outcome === 'failed' ? null : Math.round(30 + r() * 400) / 10,
          framesShown,
          framesExpected,
          outcome,
          wallTime,
          bootId,
          monoMs: ms - bootMs,
          clockSynced: true,
        };
        ins.run(site.id, dev.id, rec.deviceSeq, rec.impressionId, batchId, receivedAt, rec.campaignId, rec.creativeId, rec.door,
          rec.pseudonym, rec.outcome, rec.framesShown, rec.framesExpected, rec.wallTime, 1, JSON.stringify(rec));
        camp.rows++;
        if (outcome === 'failed') camp.failed++;
        if (++written % 100_000 === 0) {
          commit.run();
          begin.run();
          if (written % 1_000_000 === 0) log(`  built ${written.toLocaleString('en')} rows, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
        }
      }
    }
    residentBase += site.residents;
  }
  commit.run();
  const t1 = performance.now();
  for (const ix of indexes) db.exec(ix.sql);
  const t2 = performance.now();
  db.pragma('locking_mode = NORMAL');
  db.pragma('journal_mode = WAL');
  db.close();
  chmodSync(building, 0o600);
  renameSync(building, path);
  const ds: Dataset = { version: GENERATOR_VERSION, path, total: written, firstDate: FIRST_DATE, lastDate: dateAt(FIRST_DATE, DAYS - 1), sites, campaigns };
  writeFileSync(meta, JSON.stringify(ds));
  return {
    ...ds,
    build: { seconds: (performance.now() - t0) / 1000, insertSeconds: (t1 - t0) / 1000, indexSeconds: (t2 - t1) / 1000, bytes: statSync(path).size, method: 'direct prepared INSERT (commitImpressions columns and record JSON), indexes built after' },
  };
}
