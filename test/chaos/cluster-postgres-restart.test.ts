// PostgreSQL, the impression store every node shares, restarted under a two-node cluster
// (test/cluster/cluster.ts: in-process nodes, private Redis and PostgreSQL, the chaos proxy as
// balancer) while an agent on each node syncs. Commits fail while it is away, so nothing is
// acked (DESIGN.md rule 2); the agents resend and every impression ends in PostgreSQL once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../../broker/src/testing.js';
import { type Cluster, startCluster } from '../cluster/cluster.js';
import { waitFor } from '../support/service-process.js';
import { pgCounts } from './pg-counts.js';
import { exact, sumOver, World } from './world.js';

const OUTAGE_MS = 3000;

describe('cluster: PostgreSQL restarted', () => {
  let c: Cluster;
  const worlds: World[] = [];
  beforeAll(async () => {
    c = await startCluster(2);
    for (const device of ['gate-p1', 'gate-p2']) worlds.push(await World.start({ device, proxy: c.lb, cloud: { mqttPort: c.nodes[0]!.mqttPort!, provision: c.nodes[0]!, store: c.nodes[0]!.store } }));
  }, 90_000);
  afterAll(async () => {
    for (const w of worlds) await w.destroy();
    await c?.destroy();
  }, 60_000);

  it.each([{ hard: false }, { hard: true }])('restart (hard: $hard) while both agents sync: exactly once in PostgreSQL', async ({ hard }) => {
    for (const [i, w] of worlds.entries()) {
      if (w.agent.running) continue;
      c.route(c.nodes[i]!);
      await w.startAgent();
    }
    for (const w of worlds) w.startTraffic(120);
    const count = () => Promise.all(worlds.map((w) => c.nodes[0]!.store.countImpressions(w.ref)));
    const before = await count();
    await waitFor(async () => (await count()).every((n, i) => n >= before[i]! + 5), 30_000, 'impressions flowing');

    const resends = await sumOver(worlds, 'doorcast_uplink_resends_total');
    // fast: a clean shutdown that ends open sessions; immediate: a crash, WAL replay at start.
    await c.pg.halt({ hard });
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await c.pg.resume();
    await waitFor(async () => (await count()).every((n, i) => n >= before[i]! + 15), 30_000, 'impressions flowing after the restart');

    for (const w of worlds) {
      const r = await w.settleAndReconcile();
      expect(r).toEqual(exact(r));
      expect(await pgCounts(c.pgUrl, w.ref)).toEqual({ n: r.impressions.recorded, ids: r.impressions.recorded, lo: 1, hi: r.impressions.recorded, keys: r.impressions.recorded });
      console.log(`postgres restart (hard ${hard}): ${w.ref.device}: ${r.doorEvents.generated} door events, ${r.impressions.recorded} impressions`);
    }
    const failures = (await Promise.all(c.nodes.map((n) => metricValue(n, 'doorcast_broker_store_failures_total')))).reduce((a, b) => a + b, 0);
    console.log(`postgres restart (hard ${hard}): ${(await sumOver(worlds, 'doorcast_uplink_resends_total')) - resends} uplink resends, ${failures} broker store failures so far`);
  }, 90_000);
});
