// ImpressionStore on PostgreSQL (pg): the clustered store that several broker nodes share.
// Idempotency is decided by impression_keys (schema and why: postgres-migrations.ts), so
// concurrent commits of overlapping batches from any number of nodes store each seq once.
import type pg from 'pg';
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
import { IMPRESSION_MIGRATIONS, openMigratedPool, type PoolOptions } from './postgres-migrations.js';

export type PostgresStoreOptions = PoolOptions;

type Row = { site: string; device: string; batch_id: string; received_at: Date; record: Record<string, unknown> };

const toResult = <R extends { deviceSeq: number }>(records: readonly R[], decide: (r: R) => keyof CommitResult): CommitResult => {
  const result: CommitResult = { inserted: [], duplicates: [], conflicts: [] };
  for (const r of records) result[decide(r)].push(r.deviceSeq);
  return result;
};

/** 'YYYY-MM' of a wall time, UTC; the partition it belongs to. */
const monthOf = (iso: string) => new Date(iso).toISOString().slice(0, 7);

export class PostgresImpressionStore implements ImpressionStore {
  readonly #pool: pg.Pool;
  #closed = false;
  /** Months whose partition this process has already made sure of. */
  readonly #months = new Set<string>();

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Connects and migrates (PG_MIGRATIONS). Rejects with StoreError 'write-failed'. */
  static async open(o: PostgresStoreOptions): Promise<PostgresImpressionStore> {
    let pool: pg.Pool;
    try {
      pool = await openMigratedPool(o, IMPRESSION_MIGRATIONS, 'doorcast-broker');
    } catch (err) {
      throw new StoreError('write-failed', `postgres: open and migrate: ${(err as Error).message}`, { cause: err });
    }
    return new PostgresImpressionStore(pool);
  }

  #open(): void {
    if (this.#closed) throw new StoreError('closed', 'store is closed');
  }

  async #ensurePartitions(records: readonly ImpressionRecord[]): Promise<void> {
    const missing = [...new Set(records.map((r) => r.wallTime))].filter((t) => !this.#months.has(monthOf(t)));
    for (const month of new Set(missing.map(monthOf))) {
      // Outside a transaction: creating a partition briefly locks the parent; keep that short.
      await this.#pool.query('SELECT impressions_partition_for($1::timestamptz)', [`${month}-01T00:00:00Z`]);
      this.#months.add(month);
    }
  }

  async #tx<T>(what: string, f: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    this.#open();
    let client: pg.PoolClient | undefined;
    try {
      client = await this.#pool.connect();
      await client.query('BEGIN');
      const out = await f(client);
      // synchronous_commit is on (the server default): COMMIT returns once the WAL is flushed,
      // so the ack that follows is after a durable commit (CLOUD-LINK.md §5.3 step 3).
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client?.query('ROLLBACK').catch(() => {});
      throw new StoreError('write-failed', `commit ${what}: ${(err as Error).message}`, { cause: err });
    } finally {
      client?.release();
    }
  }

  async commitImpressions(ref: DeviceRef, meta: BatchMeta, records: readonly ImpressionRecord[]): Promise<CommitResult> {
    this.#open();
    try {
      await this.#ensurePartitions(records);
    } catch (err) {
      throw new StoreError('write-failed', `commit impressions: partitions: ${(err as Error).message}`, { cause: err });
    }
    const json = JSON.stringify(records);
    return this.#tx('impressions', async (c) => {
      // Sorted by seq, so concurrent overlapping batches take the key locks in one order (no deadlock).
      const ins = await c.query<{ device_seq: string }>(
        `INSERT INTO impression_keys (site, device, device_seq, impression_id)
         SELECT $1, $2, (r->>'deviceSeq')::bigint, r->>'impressionId' FROM jsonb_array_elements($3::jsonb) AS r ORDER BY 3
         ON CONFLICT DO NOTHING RETURNING device_seq`,
        [ref.site, ref.device, json],
      );
      const inserted = new Set(ins.rows.map((r) => Number(r.device_seq)));
      const rest = records.filter((r) => !inserted.has(r.deviceSeq)).map((r) => r.deviceSeq);
      const known = new Map<number, string>();
      if (rest.length > 0) {
        const old = await c.query<{ device_seq: string; impression_id: string }>(
          'SELECT device_seq, impression_id FROM impression_keys WHERE site = $1 AND device = $2 AND device_seq = ANY($3::bigint[])',
          [ref.site, ref.device, rest],
        );
        for (const r of old.rows) known.set(Number(r.device_seq), r.impression_id);
      }
      if (inserted.size > 0) {
        await c.query(
          `INSERT INTO impressions (site, device, device_seq, impression_id, batch_id, received_at, campaign_id, creative_id, door, pseudonym,
             outcome, frames_shown, frames_expected, wall_time, clock_synced, record)
           SELECT $1, $2, (r->>'deviceSeq')::bigint, r->>'impressionId', $3, $4, r->>'campaignId', r->>'creativeId', (r->>'door')::int,
             r->>'pseudonym', r->>'outcome', (r->>'framesShown')::int, (r->>'framesExpected')::int, (r->>'wallTime')::timestamptz,
             (r->>'clockSynced')::boolean, r
           FROM jsonb_array_elements($5::jsonb) AS r WHERE (r->>'deviceSeq')::bigint = ANY($6::bigint[])`,
          [ref.site, ref.device, meta.batchId, meta.receivedAt, json, [...inserted]],
        );
      }
      return toResult(records, (r) => (inserted.has(r.deviceSeq) ? 'inserted' : known.get(r.deviceSeq) === r.impressionId ? 'duplicates' : 'conflicts'));
    });
  }

  async commitDoorCounts(ref: DeviceRef, meta: BatchMeta, records: readonly DoorCountRecord[]): Promise<CommitResult> {
    const json = JSON.stringify(records);
    return this.#tx('door counts', async (c) => {
      const ins = await c.query<{ device_seq: string }>(
        `INSERT INTO door_counts (site, device, device_seq, door, hour_start, unlocks_granted, batch_id, received_at, record)
         SELECT $1, $2, (r->>'deviceSeq')::bigint, (r->>'door')::int, (r->>'hourStart')::timestamptz, (r->>'unlocksGranted')::bigint, $3, $4, r
         FROM jsonb_array_elements($5::jsonb) AS r ORDER BY 3
         ON CONFLICT DO NOTHING RETURNING device_seq`,
        [ref.site, ref.device, meta.batchId, meta.receivedAt, json],
      );
      const inserted = new Set(ins.rows.map((r) => Number(r.device_seq)));
      const rest = records.filter((r) => !inserted.has(r.deviceSeq)).map((r) => r.deviceSeq);
      const known = new Map<number, { door: number; hour: number }>();
      if (rest.length > 0) {
        const old = await c.query<{ device_seq: string; door: number; hour_start: Date }>(
          'SELECT device_seq, door, hour_start FROM door_counts WHERE site = $1 AND device = $2 AND device_seq = ANY($3::bigint[])',
          [ref.site, ref.device, rest],
        );
        for (const r of old.rows) known.set(Number(r.device_seq), { door: r.door, hour: r.hour_start.getTime() });
      }
      return toResult(records, (r) => {
        if (inserted.has(r.deviceSeq)) return 'inserted';
        const old = known.get(r.deviceSeq);
        return old?.door === r.door && old.hour === Date.parse(r.hourStart) ? 'duplicates' : 'conflicts';
      });
    });
  }

  async #read<T>(what: string, sql: string, params: unknown[], map: (rows: Record<string, unknown>[]) => T): Promise<T> {
    this.#open();
    try {
      const { rows } = await this.#pool.query(sql, params);
      return map(rows);
    } catch (err) {
      throw new StoreError('read-failed', `${what}: ${(err as Error).message}`, { cause: err });
    }
  }

  async listImpressions(ref: DeviceRef, o: ListOptions = {}): Promise<StoredImpression[]> {
    return this.#list<StoredImpression>('impressions', ref, o);
  }

  async listDoorCounts(ref: DeviceRef, o: ListOptions = {}): Promise<StoredDoorCount[]> {
    return this.#list<StoredDoorCount>('door_counts', ref, o);
  }

  #list<T>(table: 'impressions' | 'door_counts', ref: DeviceRef, o: ListOptions): Promise<T[]> {
    return this.#read(
      `list ${table}`,
      `SELECT site, device, batch_id, received_at, record FROM ${table} WHERE site = $1 AND device = $2 AND device_seq > $3 ORDER BY device_seq LIMIT $4`,
      [ref.site, ref.device, o.afterSeq ?? 0, o.limit ?? 1000],
      (rows) =>
        (rows as Row[]).map((r) => ({ ...r.record, site: r.site, device: r.device, batchId: r.batch_id, receivedAt: r.received_at.toISOString() }) as T),
    );
  }

  async countImpressions(ref?: DeviceRef): Promise<number> {
    return this.#count('impression_keys', ref);
  }

  async countDoorCounts(ref?: DeviceRef): Promise<number> {
    return this.#count('door_counts', ref);
  }

  #count(table: 'impression_keys' | 'door_counts', ref?: DeviceRef): Promise<number> {
    const [where, params] = ref ? [' WHERE site = $1 AND device = $2', [ref.site, ref.device]] : ['', []];
    return this.#read(`count ${table}`, `SELECT count(*) AS n FROM ${table}${where}`, params, (rows) => Number(rows[0]?.n ?? 0));
  }

  async campaignFacts(campaignId: string, fromIso: string, toIso: string): Promise<CampaignFact[]> {
    // Served by impressions_campaign_report, pruned to the months of [from, to).
    return this.#read(
      'campaign facts',
      `SELECT site, device, door, to_char(wall_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS hour, pseudonym,
         count(*) FILTER (WHERE outcome <> 'failed') AS plays, count(*) FILTER (WHERE outcome = 'completed') AS completed,
         count(*) FILTER (WHERE outcome = 'failed') AS failed
       FROM impressions WHERE campaign_id = $1 AND wall_time >= $2::timestamptz AND wall_time < $3::timestamptz
       GROUP BY site, device, door, hour, pseudonym`,
      [campaignId, fromIso, toIso],
      (rows) =>
        rows.map((r) => ({
          site: r.site as string,
          device: r.device as string,
          door: r.door as number,
          hour: r.hour as string,
          pseudonym: (r.pseudonym as string | null) ?? null,
          plays: Number(r.plays),
          completed: Number(r.completed),
          failed: Number(r.failed),
        })),
    );
  }

  async doorCountHours(site: string, fromIso: string, toIso: string): Promise<DoorCountHour[]> {
    return this.#read(
      'door count hours',
      `SELECT hour_start, sum(unlocks_granted) AS unlocks FROM door_counts
       WHERE site = $1 AND hour_start >= $2::timestamptz AND hour_start < $3::timestamptz GROUP BY hour_start ORDER BY hour_start`,
      [site, fromIso, toIso],
      (rows) => rows.map((r) => ({ hourStart: (r.hour_start as Date).toISOString(), unlocks: Number(r.unlocks) })),
    );
  }

  async countResidents(site: string, fromIso: string, toIso: string, utcHours?: readonly number[]): Promise<number> {
    this.#open();
    const hours = utcHours?.filter((h) => Number.isInteger(h) && h >= 0 && h < 24);
    if (hours && hours.length === 0) return 0;
    const byHour = hours ? ` AND extract(hour FROM wall_time AT TIME ZONE 'UTC')::int = ANY($4::int[])` : '';
    return this.#read(
      'residents',
      `SELECT count(DISTINCT pseudonym) AS n FROM impressions
       WHERE site = $1 AND wall_time >= $2::timestamptz AND wall_time < $3::timestamptz AND pseudonym IS NOT NULL${byHour}`,
      hours ? [site, fromIso, toIso, hours] : [site, fromIso, toIso],
      (rows) => Number(rows[0]?.n ?? 0),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
