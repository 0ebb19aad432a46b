// ImpressionStore on SQLite (better-sqlite3): the embedded, one-box default.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { DeviceRef, DoorCountRecord, ImpressionRecord } from '../contract.js';
import {
  type BatchMeta,
  type CampaignFact,
  type CommitResult,
  type DoorCountHour,
  type ImpressionStore,
  type ListOptions,
  type StoredDoorCount,
  type StoredImpression,
  StoreError,
} from './impression-store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS impressions (
  site TEXT NOT NULL, device TEXT NOT NULL, device_seq INTEGER NOT NULL CHECK (device_seq >= 1),
  impression_id TEXT NOT NULL, batch_id TEXT NOT NULL, received_at TEXT NOT NULL,
  campaign_id TEXT NOT NULL, creative_id TEXT NOT NULL, door INTEGER NOT NULL,
  pseudonym TEXT, outcome TEXT NOT NULL CHECK (outcome IN ('completed', 'interrupted', 'failed')),
  frames_shown INTEGER NOT NULL CHECK (frames_shown >= 0), frames_expected INTEGER NOT NULL CHECK (frames_expected >= 0),
  wall_time TEXT NOT NULL, clock_synced INTEGER NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (site, device, device_seq)
) WITHOUT ROWID;
DROP INDEX IF EXISTS impressions_campaign;
DROP INDEX IF EXISTS impressions_campaign_report;
-- Covering for campaignFacts, in the order of its GROUP BY, so SQLite aggregates as it scans
-- instead of sorting a campaign's rows (≈ 4× at 1M rows; BENCHMARKS.md "Campaign reports").
CREATE INDEX IF NOT EXISTS impressions_campaign_hour ON impressions (campaign_id, substr(wall_time, 1, 13), site, device, door, pseudonym, outcome, wall_time);
CREATE INDEX IF NOT EXISTS impressions_site_time ON impressions (site, wall_time, pseudonym);
CREATE TABLE IF NOT EXISTS door_counts (
  site TEXT NOT NULL, device TEXT NOT NULL, device_seq INTEGER NOT NULL CHECK (device_seq >= 1),
  door INTEGER NOT NULL, hour_start TEXT NOT NULL, batch_id TEXT NOT NULL, received_at TEXT NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (site, device, device_seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS door_counts_site_hour ON door_counts (site, hour_start);
`;

export class SqliteImpressionStore implements ImpressionStore {
  readonly db: Database.Database;
  #closed = false;
  readonly #insImp;
  readonly #getImp;
  readonly #insDc;
  readonly #getDc;
  readonly #facts;
  readonly #dcHours;
  readonly #residents;

  constructor(readonly path: string) {
    const fresh = path !== ':memory:' && !existsSync(path);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    // Pseudonyms and play history: private to the broker's user.
    if (fresh) chmodSync(path, 0o600);
    this.db.pragma('journal_mode = WAL');
    // Durable before acknowledged (DESIGN.md rule 2): the ack follows a synced commit.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.#insImp = this.db.prepare(`INSERT INTO impressions (site, device, device_seq, impression_id, batch_id, received_at, campaign_id, creative_id,
      door, pseudonym, outcome, frames_shown, frames_expected, wall_time, clock_synced, record)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, device, device_seq) DO NOTHING`);
    this.#getImp = this.db.prepare<[string, string, number], { impression_id: string }>(
      'SELECT impression_id FROM impressions WHERE site = ? AND device = ? AND device_seq = ?',
    );
    this.#insDc = this.db.prepare(`INSERT INTO door_counts (site, device, device_seq, door, hour_start, batch_id, received_at, record)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, device, device_seq) DO NOTHING`);
    this.#getDc = this.db.prepare<[string, string, number], { door: number; hour_start: string }>(
      'SELECT door, hour_start FROM door_counts WHERE site = ? AND device = ? AND device_seq = ?',
    );
    // The hour bounds pick the index range; the wall_time bounds are the exact ones.
    this.#facts = this.db.prepare<{ campaign: string; from: string; to: string }, CampaignFact>(`SELECT site, device, door, substr(wall_time, 1, 13) AS hour, pseudonym,
        sum(outcome <> 'failed') AS plays, sum(outcome = 'completed') AS completed, sum(outcome = 'failed') AS failed
      FROM impressions INDEXED BY impressions_campaign_hour
      WHERE campaign_id = @campaign AND substr(wall_time, 1, 13) >= substr(@from, 1, 13) AND substr(wall_time, 1, 13) <= substr(@to, 1, 13)
        AND wall_time >= @from AND wall_time < @to
      GROUP BY substr(wall_time, 1, 13), site, device, door, pseudonym`);
    this.#dcHours = this.db.prepare(`SELECT hour_start, sum(json_extract(record, '$.unlocksGranted')) AS unlocks FROM door_counts
      WHERE site = ? AND hour_start >= ? AND hour_start < ? GROUP BY hour_start ORDER BY hour_start`);
    this.#residents = this.db.prepare(
      'SELECT count(DISTINCT pseudonym) AS n FROM impressions WHERE site = ? AND wall_time >= ? AND wall_time < ? AND pseudonym IS NOT NULL',
    );
  }

  #open(): void {
    if (this.#closed) throw new StoreError('closed', 'store is closed');
  }

  async commitImpressions(ref: DeviceRef, meta: BatchMeta, records: readonly ImpressionRecord[]): Promise<CommitResult> {
    this.#open();
    const at = meta.receivedAt.toISOString();
    return this.#commit('impressions', records, (r) => {
      const changes = this.#insImp.run(ref.site, ref.device, r.deviceSeq, r.impressionId, meta.batchId, at, r.campaignId, r.creativeId, r.door,
        r.pseudonym, r.outcome, r.framesShown, r.framesExpected, r.wallTime, r.clockSynced ? 1 : 0, JSON.stringify(r)).changes;
      if (changes === 1) return 'inserted';
      return this.#getImp.get(ref.site, ref.device, r.deviceSeq)?.impression_id === r.impressionId ? 'duplicates' : 'conflicts';
    });
  }

  async commitDoorCounts(ref: DeviceRef, meta: BatchMeta, records: readonly DoorCountRecord[]): Promise<CommitResult> {
    this.#open();
    const at = meta.receivedAt.toISOString();
    return this.#commit('door counts', records, (r) => {
      const changes = this.#insDc.run(ref.site, ref.device, r.deviceSeq, r.door, r.hourStart, meta.batchId, at, JSON.stringify(r)).changes;
      if (changes === 1) return 'inserted';
      const old = this.#getDc.get(ref.site, ref.device, r.deviceSeq);
      return old?.door === r.door && old.hour_start === r.hourStart ? 'duplicates' : 'conflicts';
    });
  }

  #commit<R extends { deviceSeq: number }>(what: string, records: readonly R[], put: (r: R) => keyof CommitResult): CommitResult {
    const result: CommitResult = { inserted: [], duplicates: [], conflicts: [] };
    try {
      this.db.transaction(() => {
        for (const r of records) result[put(r)].push(r.deviceSeq);
      }).immediate();
    } catch (err) {
      throw new StoreError('write-failed', `commit ${what}: ${(err as Error).message}`, { cause: err });
    }
    return result;
  }

  async listImpressions(ref: DeviceRef, o: ListOptions = {}): Promise<StoredImpression[]> {
    return this.#list<StoredImpression>('impressions', ref, o);
  }

  async listDoorCounts(ref: DeviceRef, o: ListOptions = {}): Promise<StoredDoorCount[]> {
    return this.#list<StoredDoorCount>('door_counts', ref, o);
  }

  #list<T>(table: 'impressions' | 'door_counts', ref: DeviceRef, o: ListOptions): T[] {
    this.#open();
    try {
      const rows = this.db
        .prepare(`SELECT site, device, batch_id, received_at, record FROM ${table} WHERE site = ? AND device = ? AND device_seq > ? ORDER BY device_seq LIMIT ?`)
        .all(ref.site, ref.device, o.afterSeq ?? 0, o.limit ?? 1000) as { site: string; device: string; batch_id: string; received_at: string; record: string }[];
      return rows.map((r) => ({ ...(JSON.parse(r.record) as object), site: r.site, device: r.device, batchId: r.batch_id, receivedAt: r.received_at }) as T);
    } catch (err) {
      throw new StoreError('read-failed', `list ${table}: ${(err as Error).message}`, { cause: err });
    }
  }

  async countImpressions(ref?: DeviceRef): Promise<number> {
    return this.#count('impressions', ref);
  }

  async countDoorCounts(ref?: DeviceRef): Promise<number> {
    return this.#count('door_counts', ref);
  }

  #count(table: 'impressions' | 'door_counts', ref?: DeviceRef): number {
    this.#open();
    const row = ref
      ? this.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE site = ? AND device = ?`).get(ref.site, ref.device)
      : this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get();
    return (row as { n: number }).n;
  }

  async campaignFacts(campaignId: string, fromIso: string, toIso: string): Promise<CampaignFact[]> {
    // SQLite gives NULL as null: the rows are CampaignFacts as they come.
    return this.#read('campaign facts', () => this.#facts.all({ campaign: campaignId, from: fromIso, to: toIso }));
  }

  async doorCountHours(site: string, fromIso: string, toIso: string): Promise<DoorCountHour[]> {
    return this.#read('door count hours', () =>
      (this.#dcHours.all(site, fromIso, toIso) as { hour_start: string; unlocks: number }[]).map((r) => ({ hourStart: r.hour_start, unlocks: r.unlocks })),
    );
  }

  async countResidents(site: string, fromIso: string, toIso: string, utcHours?: readonly number[]): Promise<number> {
    return this.#read('residents', () => {
      if (!utcHours) return (this.#residents.get(site, fromIso, toIso) as { n: number }).n;
      const hours = utcHours.filter((h) => Number.isInteger(h) && h >= 0 && h < 24);
      if (hours.length === 0) return 0;
      const row = this.db
        .prepare(`SELECT count(DISTINCT pseudonym) AS n FROM impressions WHERE site = ? AND wall_time >= ? AND wall_time < ? AND pseudonym IS NOT NULL
          AND CAST(substr(wall_time, 12, 2) AS INTEGER) IN (${hours.join(',')})`)
        .get(site, fromIso, toIso) as { n: number };
      return row.n;
    });
  }

  #read<T>(what: string, f: () => T): T {
    this.#open();
    try {
      return f();
    } catch (err) {
      throw new StoreError('read-failed', `${what}: ${(err as Error).message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.db.close();
  }
}
