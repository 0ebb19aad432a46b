// Straight from PostgreSQL, not through the store: rows, distinct impression ids, the seq
// range, and the idempotency keys, for one device.
import pg from 'pg';

export async function pgCounts(url: string, ref: { site: string; device: string }): Promise<{ n: number; ids: number; lo: number; hi: number; keys: number }> {
  const sql = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await sql.connect();
  try {
    const r = await sql.query(
      `SELECT count(*)::int AS n, count(DISTINCT impression_id)::int AS ids, coalesce(min(device_seq), 0)::int AS lo, coalesce(max(device_seq), 0)::int AS hi,
         (SELECT count(*)::int FROM impression_keys WHERE site = $1 AND device = $2) AS keys
       FROM impressions WHERE site = $1 AND device = $2`,
      [ref.site, ref.device],
    );
    return r.rows[0];
  } finally {
    await sql.end();
  }
}
