// The PostgreSQL impression store's schema, versioned like db/migrations.ts: entry i takes the
// database from version i to i + 1 and is never edited once released; add a new entry instead.
//
// Shape (why): idempotency needs one unique key on (site, device, device_seq), but a unique
// constraint on a partitioned table must include the partition key, and wall_time cannot be in
// it — a device that resent a record with a corrected clock would slip past it. So the key lives
// in an unpartitioned table, impression_keys, which alone decides inserted / duplicate /
// conflict (INSERT … ON CONFLICT DO NOTHING RETURNING), and the rows live in impressions,
// partitioned by UTC month of wall_time so reports over a period touch only its months and old
// months can be detached and archived whole. Monthly partitions are created on demand for
// 2000–2099; anything else (a Pi that booted in 1970, CLOUD-LINK.md §2.4) goes to the default
// partition, whose range is fixed, so no row ever has to move out of it.
import pg from 'pg';

/** Serialises migrations and partition creation across nodes (pg_advisory_xact_lock keys). */
export const MIGRATION_LOCK = 0x646f_6f72;
export const PARTITION_LOCK = 0x646f_6f73;

export const PG_MIGRATIONS: readonly string[] = [
  // 1: keys, partitioned impressions with the report indexes, door counts.
  `CREATE TABLE impression_keys (
     site          text   NOT NULL,
     device        text   NOT NULL,
     device_seq    bigint NOT NULL CHECK (device_seq >= 1),
     impression_id text   NOT NULL,
     PRIMARY KEY (site, device, device_seq)
   );
   CREATE TABLE impressions (
     site            text        NOT NULL,
     device          text        NOT NULL,
     device_seq      bigint      NOT NULL CHECK (device_seq >= 1),
     impression_id   text        NOT NULL,
     batch_id        text        NOT NULL,
     received_at     timestamptz NOT NULL,
     campaign_id     text        NOT NULL,
     creative_id     text        NOT NULL,
     door            integer     NOT NULL,
     pseudonym       text,
     outcome         text        NOT NULL CHECK (outcome IN ('completed', 'interrupted', 'failed')),
     frames_shown    integer     NOT NULL CHECK (frames_shown >= 0),
     frames_expected integer     NOT NULL CHECK (frames_expected >= 0),
     wall_time       timestamptz NOT NULL,
     clock_synced    boolean     NOT NULL,
     record          jsonb       NOT NULL
   ) PARTITION BY RANGE (wall_time);
   CREATE TABLE impressions_default PARTITION OF impressions DEFAULT;
   -- listImpressions pages one device by seq (a merge over the months).
   CREATE INDEX impressions_device_seq ON impressions (site, device, device_seq);
   -- campaignFacts: one campaign over a period, answered from the index alone.
   CREATE INDEX impressions_campaign_report ON impressions (campaign_id, wall_time) INCLUDE (site, device, door, pseudonym, outcome);
   -- countResidents: distinct pseudonyms of a site over a period.
   CREATE INDEX impressions_site_time ON impressions (site, wall_time) INCLUDE (pseudonym);
   CREATE TABLE door_counts (
     site            text        NOT NULL,
     device          text        NOT NULL,
     device_seq      bigint      NOT NULL CHECK (device_seq >= 1),
     door            integer     NOT NULL,
     hour_start      timestamptz NOT NULL,
     unlocks_granted bigint      NOT NULL CHECK (unlocks_granted >= 0),
     batch_id        text        NOT NULL,
     received_at     timestamptz NOT NULL,
     record          jsonb       NOT NULL,
     PRIMARY KEY (site, device, device_seq)
   );
   CREATE INDEX door_counts_site_hour ON door_counts (site, hour_start) INCLUDE (unlocks_granted);
   -- Creates the month's partition if missing; a no-op outside 2000–2099 (default partition).
   -- Month arithmetic on timestamp, not timestamptz, so no session time zone can shift a bound.
   CREATE FUNCTION impressions_partition_for(ts timestamptz) RETURNS void LANGUAGE plpgsql AS $$
   DECLARE
     m    timestamp := date_trunc('month', ts AT TIME ZONE 'UTC');
     name text      := 'impressions_' || to_char(m, 'YYYY_MM');
   BEGIN
     IF m < timestamp '2000-01-01' OR m >= timestamp '2100-01-01' THEN RETURN; END IF;
     IF to_regclass(name) IS NOT NULL THEN RETURN; END IF;
     -- Nodes take turns; the one that comes second finds the table made (its catalog cache may
     -- not show it yet, so the duplicate is caught rather than looked up).
     PERFORM pg_advisory_xact_lock(${PARTITION_LOCK});
     EXECUTE format('CREATE TABLE %I PARTITION OF impressions FOR VALUES FROM (%L) TO (%L)',
       name, (m AT TIME ZONE 'UTC')::text, ((m + interval '1 month') AT TIME ZONE 'UTC')::text);
   EXCEPTION WHEN duplicate_table OR unique_violation THEN
     RETURN;
   END $$;`,
];

export interface MigrationSet {
  migrations: readonly string[];
  /** Where applied versions are recorded. */
  table: string;
  lock: number;
}

/** The impression store's schema; the state db's is STATE_MIGRATIONS (db/postgres-state-migrations.ts). */
export const IMPRESSION_MIGRATIONS: MigrationSet = { migrations: PG_MIGRATIONS, table: 'schema_migrations', lock: MIGRATION_LOCK };

/** Applies pending migrations in one transaction; several nodes starting at once take turns. */
async function migrate(client: pg.ClientBase, set: MigrationSet): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [set.lock]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${set.table} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${set.table}`);
    const current = rows[0]?.v ?? 0;
    for (let v = current; v < set.migrations.length; v++) {
      await client.query(set.migrations[v]!);
      await client.query(`INSERT INTO ${set.table} (version) VALUES ($1)`, [v + 1]);
    }
    await client.query('COMMIT');
    return set.migrations.length;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

export interface PoolOptions {
  url: string;
  poolMax?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Errors of idle pooled connections (the server restarted); unhandled they would crash. */
  onIdleError?(err: Error): void;
}

/** A pool on UTC with a statement timeout, migrated by `set`; ended again when that fails. */
export async function openMigratedPool(o: PoolOptions, set: MigrationSet, applicationName: string, types?: pg.CustomTypesConfig): Promise<pg.Pool> {
  const pool = new pg.Pool({
    connectionString: o.url,
    max: o.poolMax ?? 10,
    connectionTimeoutMillis: o.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    application_name: applicationName,
    // UTC: reports group by UTC hour; bounds never depend on a server's zone.
    options: `-c TimeZone=UTC -c statement_timeout=${o.statementTimeoutMs ?? 30_000}`,
    ...(types ? { types } : {}),
  });
  pool.on('error', (err) => o.onIdleError?.(err));
  try {
    const client = await pool.connect();
    try {
      await migrate(client, set);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  return pool;
}
