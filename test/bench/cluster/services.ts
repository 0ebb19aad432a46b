// What the cluster bench runs beside the broker nodes: the private PostgreSQL 15 and Redis of
// test/support (each kills its server when this process exits, even on a crash), their
// processes found for CPU accounting, and the exactly-once check read from PostgreSQL.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { type PostgresService, startPostgres } from '../../support/postgres.js';
import { type RedisService, startRedis } from '../../support/redis.js';
import { cpuSeconds } from '../broker/processes.js';

export { type PostgresService, type RedisService, startPostgres, startRedis };

/** pid → parent pid of every process on the machine, from /proc/<pid>/stat. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      out.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** A process and all its descendants (PostgreSQL: the postmaster and its backends). */
export function processTree(root: number): number[] {
  const ppid = parents();
  const tree = [root];
  for (let i = 0; i < tree.length && i < 10_000; i++) for (const [pid, parent] of ppid) if (parent === tree[i]) tree.push(pid);
  return tree;
}

/** CPU seconds of a set of processes; one that has exited since counts as 0. */
export function cpuOfAll(pids: readonly number[]): number {
  let n = 0;
  for (const pid of pids) {
    try {
      n += cpuSeconds(pid);
    } catch {
      // exited
    }
  }
  return n;
}

/** The postmaster's pid (first line of postmaster.pid in its data dir). */
export const postmasterPid = (p: PostgresService): number => Number(readFileSync(join(p.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);

/** The redis-server listening on `port` (its process title names the address). */
export function redisPid(r: RedisService): number {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.startsWith('/usr/bin/redis-server') && cmd.includes(`:${r.port}`)) return Number(name);
    } catch {
      // exited meanwhile
    }
  }
  throw new Error(`no redis-server process for port ${r.port}`);
}

export interface StoredRows {
  /** Rows in impressions. */
  rows: number;
  /** Distinct (site, device, device_seq) among them: rows - keys are duplicates. */
  keys: number;
  /** Rows in impression_keys (the idempotency table). */
  keyRows: number;
}

export async function storedRows(url: string): Promise<StoredRows> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    const r = await c.query<{ rows: string; keys: string }>('SELECT count(*) AS rows, count(DISTINCT (site, device, device_seq)) AS keys FROM impressions');
    const k = await c.query<{ n: string }>('SELECT count(*) AS n FROM impression_keys');
    return { rows: Number(r.rows[0]?.rows), keys: Number(r.rows[0]?.keys), keyRows: Number(k.rows[0]?.n) };
  } finally {
    await c.end();
  }
}
