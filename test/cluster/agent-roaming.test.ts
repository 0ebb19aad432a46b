// The real agent's cloud link against three nodes behind the balancer: its connection is cut
// again and again and lands on the next node each time, mid-drain. Every impression ends in
// PostgreSQL exactly once and the outbox empties (CLOUD-LINK.md §5.3, DESIGN.md rule 2).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Clock } from '../../agent/src/clock/clock.js';
import { silentLogger } from '../../agent/src/obs/log.js';
import { Registry } from '../../agent/src/obs/metrics.js';
import { Store } from '../../agent/src/store/index.js';
import { play, stamp } from '../../agent/src/store/testing.js';
import { startCloud } from '../../agent/src/sync/cloud.js';
import type { RunningBroker } from '../../broker/src/server/broker.js';
import { metricValue, until } from '../../broker/src/testing.js';
import { type Cluster, useCluster } from './cluster.js';

const ref = { site: 'maple', device: 'gate-7' };

/** What each node saw, for a failure message. */
async function diagnose(c: Cluster, depth: number): Promise<string> {
  const per = await Promise.all(
    c.nodes.map(async (n, i) => {
      const m = (name: string) => metricValue(n, name);
      return `node ${i}: auth ${await m('doorcast_broker_auth_total')}, clients ${await m('doorcast_broker_connected_clients')}, records ${await m('doorcast_broker_records_total')}, acks ${await m('doorcast_broker_acks_total')}, store failures ${await m('doorcast_broker_store_failures_total')}`;
    }),
  );
  return `outbox ${depth}; proxy ${JSON.stringify(c.lb.stats)}; ${per.join('; ')}`;
}
const TOTAL = 2000;
const inserted = (n: RunningBroker) => metricValue(n, 'doorcast_broker_records_total', { kind: 'impressions', result: 'inserted' });

describe('the agent roaming across three nodes', () => {
  const cluster = useCluster(3);
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'doorcast-roam-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('cut off and moved to the next node 6 times while draining: exactly once in PostgreSQL', async () => {
    const c = cluster();
    const nodes = c.nodes;
    const cred = join(dir, 'credentials.json');
    writeFileSync(cred, JSON.stringify(await nodes[0]!.addDevice(ref.site, ref.device)), { mode: 0o600 });
    const store = new Store({ path: join(dir, 'agent.db'), budget: { maxDoorEvents: 100_000, maxBytes: 2 ** 30 } });
    store.transaction(() => {
      for (let i = 0; i < TOTAL; i++) store.recordPlay(play(), stamp({ monoMs: i }));
    });
    c.route(nodes[0]!);
    const cloud = startCloud(
      { credentialsFile: cred, protocolVersion: 4, batchRecords: 40, maxInFlight: 2, ackTimeoutMs: 3000, flushIntervalMs: 50, stateIntervalMs: 60_000, backoff: { baseMs: 50, capMs: 300 } },
      { outbox: store.outbox, cache: store.state, clock: new Clock({ sync: 'assume-synced' }), log: silentLogger, registry: new Registry() },
    );
    try {
      for (let k = 1; k <= 6; k++) {
        // New records inserted by the node it is on now: acks for what the last node committed
        // (resent after the cut, duplicates here) do not count as its share.
        const node = nodes[(k - 1) % 3]!;
        const before = await inserted(node);
        await until(async () => (await inserted(node)) >= before + 100, 20_000, `node ${(k - 1) % 3} ingesting before cut ${k}`).catch(async (err: Error) => {
          throw new Error(`${err.message}: ${await diagnose(c, store.outbox.depth())}`);
        });
        c.route(nodes[k % 3]!);
        c.lb.apply({ kind: 'drop' });
      }
      await until(() => store.outbox.depth() === 0, 60_000, 'outbox drained');
    } finally {
      await cloud.stop();
      store.close();
    }

    // Each node took part of the backlog.
    for (const n of nodes) expect(await inserted(n)).toBeGreaterThanOrEqual(100);
    const sql = new pg.Client({ connectionString: c.pgUrl });
    await sql.connect();
    try {
      const r = await sql.query(
        `SELECT count(*)::int AS n, count(DISTINCT impression_id)::int AS ids, min(device_seq)::int AS lo, max(device_seq)::int AS hi,
           (SELECT count(*)::int FROM impression_keys WHERE site = $1 AND device = $2) AS keys
         FROM impressions WHERE site = $1 AND device = $2`,
        [ref.site, ref.device],
      );
      expect(r.rows[0]).toEqual({ n: TOTAL, ids: TOTAL, lo: 1, hi: TOTAL, keys: TOTAL });
    } finally {
      await sql.end();
    }
  }, 120_000);
});
