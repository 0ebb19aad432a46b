// The PostgreSQL store against a private server (test/support/postgres.ts): the contract every
// backend passes, then what only a shared store has to prove: several nodes, partitions, indexes.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresService, startPostgres } from '../../../test/support/postgres.js';
import { exampleImpression } from '../contract.js';
import { describeImpressionStoreContract } from './impression-store.contract.js';
import { PostgresImpressionStore } from './postgres-impression-store.js';

let server: Promise<PostgresService> | undefined;
const pgServer = () => {
  server ??= startPostgres();
  return server;
};
afterAll(async () => {
  await (await server)?.destroy();
}, 30_000);

/** A fresh database per test; dropped by destroy(). */
async function freshDb(): Promise<{ url: string; drop(): Promise<void> }> {
  const s = await pgServer();
  const name = `t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const url = await s.createDatabase(name);
  return { url, drop: () => s.dropDatabase(name) };
}

describeImpressionStoreContract('postgres (private server, a database per test)', async () => {
  const db = await freshDb();
  return { open: () => PostgresImpressionStore.open({ url: db.url, poolMax: 4 }), destroy: db.drop };
});

describe('PostgresImpressionStore across nodes', () => {
  const A = { site: 'maple', device: 'gate-1' };
  const meta = () => ({ batchId: randomUUID(), receivedAt: new Date('2026-11-23T08:00:00.000Z') });
  let url: string;
  let drop: () => Promise<void>;
  let sql: pg.Client;
  beforeAll(async () => {
    ({ url, drop } = await freshDb());
    // Migrated up front, so each test also runs alone.
    await (await PostgresImpressionStore.open({ url, poolMax: 1 })).close();
    sql = new pg.Client({ connectionString: url });
    await sql.connect();
  }, 60_000);
  afterAll(async () => {
    await sql?.end();
    await drop?.();
  });

  it('three store instances (three nodes) commit overlapping batches at once: every seq stored exactly once', async () => {
    const nodes = await Promise.all([1, 2, 3].map(() => PostgresImpressionStore.open({ url, poolMax: 3 })));
    try {
      // 300 records, every one sent by two or three nodes, in batches that overlap at random.
      const recs = Array.from({ length: 300 }, (_, i) =>
        exampleImpression(i + 1, { wallTime: new Date(Date.UTC(2026, 9 + (i % 3), 5, 7)).toISOString() }),
      );
      const batches: { node: number; records: typeof recs }[] = [];
      for (let from = 0; from < 300; from += 25) {
        batches.push({ node: 0, records: recs.slice(from, from + 50) });
        batches.push({ node: 1, records: recs.slice(Math.max(0, from - 20), from + 30).reverse() });
        batches.push({ node: 2, records: recs.slice(from, from + 25) });
      }
      const results = await Promise.all(batches.map((b) => nodes[b.node]!.commitImpressions(A, meta(), b.records)));
      const inserted = results.flatMap((r) => r.inserted).sort((a, b) => a - b);
      expect(inserted).toEqual(recs.map((r) => r.deviceSeq));
      expect(results.flatMap((r) => r.conflicts)).toEqual([]);
      for (const [i, r] of results.entries()) expect([...r.inserted, ...r.duplicates].sort((a, b) => a - b)).toEqual(batches[i]!.records.map((x) => x.deviceSeq).sort((a, b) => a - b));
      const rows = await sql.query('SELECT count(*)::int AS n, count(DISTINCT device_seq)::int AS seqs, count(DISTINCT impression_id)::int AS ids FROM impressions');
      expect(rows.rows[0]).toEqual({ n: 300, seqs: 300, ids: 300 });
      for (const n of nodes) expect(await n.countImpressions(A)).toBe(300);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  });

  it('partitions by UTC month on demand; an unsynced 1970 clock lands in the default partition', async () => {
    const store = await PostgresImpressionStore.open({ url, poolMax: 2 });
    try {
      const B = { site: 'oak', device: 'gate-9' };
      await store.commitImpressions(B, meta(), [
        exampleImpression(1, { wallTime: '1970-01-01T00:03:12.000Z', clockSynced: false }),
        exampleImpression(2, { wallTime: '2027-02-28T23:59:59.999Z' }),
      ]);
      const parts = await sql.query<{ part: string; n: number }>(
        `SELECT c.relname AS part, (SELECT count(*)::int FROM impressions i WHERE i.tableoid = c.oid AND i.site = 'oak') AS n
         FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid WHERE h.inhparent = 'impressions'::regclass ORDER BY 1`,
      );
      expect(parts.rows.filter((r) => r.n > 0)).toEqual([
        { part: 'impressions_2027_02', n: 1 },
        { part: 'impressions_default', n: 1 },
      ]);
      expect(parts.rows.map((r) => r.part)).not.toContain('impressions_1970_01');
      expect((await store.listImpressions(B)).map((r) => r.wallTime)).toEqual(['1970-01-01T00:03:12.000Z', '2027-02-28T23:59:59.999Z']);
    } finally {
      await store.close();
    }
  });

  it('report queries use their indexes and touch only the months asked for', async () => {
    for (const m of ['2026-10', '2026-11', '2026-12']) await sql.query('SELECT impressions_partition_for($1::timestamptz)', [`${m}-01T00:00:00Z`]);
    const plan = async (q: string, params: unknown[]) => {
      await sql.query('SET enable_seqscan = off');
      const r = await sql.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${q}`, params);
      await sql.query('RESET enable_seqscan');
      return r.rows.map((x) => x['QUERY PLAN']).join('\n');
    };
    const facts = await plan(
      `SELECT site, door, count(*) FROM impressions WHERE campaign_id = $1 AND wall_time >= $2::timestamptz AND wall_time < $3::timestamptz GROUP BY 1, 2`,
      ['noodle-shop-breakfast', '2026-11-01T00:00:00Z', '2026-11-08T00:00:00Z'],
    );
    expect(facts).toMatch(/Index Only Scan using impressions_2026_11_campaign_id_wall_time/);
    expect(facts).not.toMatch(/impressions_2026_10|impressions_2026_12|impressions_default/);
    const residents = await plan(
      'SELECT count(DISTINCT pseudonym) FROM impressions WHERE site = $1 AND wall_time >= $2::timestamptz AND wall_time < $3::timestamptz',
      ['maple', '2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z'],
    );
    expect(residents).toMatch(/Index Only Scan using impressions_2026_12_site_wall_time/);
    const doors = await plan('SELECT hour_start, sum(unlocks_granted) FROM door_counts WHERE site = $1 AND hour_start >= $2 AND hour_start < $3 GROUP BY 1', [
      'maple',
      '2026-11-23T00:00:00Z',
      '2026-11-24T00:00:00Z',
    ]);
    expect(doors).toMatch(/Index Only Scan using door_counts_site_hour/);
  });

  it('a PostgreSQL crash fails commits with a typed error (no ack), and the same store commits again after it', async () => {
    const s = await pgServer();
    const idle: Error[] = [];
    const store = await PostgresImpressionStore.open({ url, poolMax: 2, connectTimeoutMs: 1000, onIdleError: (e) => idle.push(e) });
    const C = { site: 'elm', device: 'gate-1' };
    try {
      expect((await store.commitImpressions(C, meta(), [exampleImpression(1)])).inserted).toEqual([1]);
      await sql.end();
      await s.halt({ hard: true });
      await expect(store.commitImpressions(C, meta(), [exampleImpression(2)])).rejects.toMatchObject({ name: 'StoreError', code: 'write-failed' });
      // The pooled connection's death was reported, not thrown out of the process.
      expect(idle.length).toBeGreaterThan(0);
      await s.resume();
      expect((await store.commitImpressions(C, meta(), [exampleImpression(2)])).inserted).toEqual([2]);
      expect(await store.countImpressions(C)).toBe(2);
    } finally {
      await store.close();
      sql = new pg.Client({ connectionString: url });
      await sql.connect();
    }
  }, 60_000);

  it('refuses to open an unreachable server with a typed error', async () => {
    const s = await pgServer();
    await expect(PostgresImpressionStore.open({ url: `postgres://postgres@127.0.0.1:${s.port}/no_such_db`, connectTimeoutMs: 2000 })).rejects.toMatchObject({
      name: 'StoreError',
      code: 'write-failed',
    });
  });
});
