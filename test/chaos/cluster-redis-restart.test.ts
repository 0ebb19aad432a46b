// Redis restarted under a two-node cluster (test/cluster/cluster.ts: in-process nodes, private
// Redis and PostgreSQL, the chaos proxy as balancer) while an agent on each node syncs. Redis
// carries the routing (mqemitter-redis) and the sessions, so acks stop while it is away; the
// agents resend and every impression ends in PostgreSQL exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from '../cluster/cluster.js';
import { waitFor } from '../support/service-process.js';
import { pgCounts } from './pg-counts.js';
import { exact, sumOver, World } from './world.js';

const OUTAGE_MS = 3000;

describe('cluster: Redis restarted', () => {
  let c: Cluster;
  const worlds: World[] = [];
  beforeAll(async () => {
    c = await startCluster(2);
    for (const device of ['gate-r1', 'gate-r2']) worlds.push(await World.start({ device, proxy: c.lb, cloud: { mqttPort: c.nodes[0]!.mqttPort!, provision: c.nodes[0]!, store: c.nodes[0]!.store } }));
  }, 90_000);
  afterAll(async () => {
    for (const w of worlds) await w.destroy();
    await c?.destroy();
  }, 60_000);

  it.each([{ hard: false }, { hard: true }])('restart (hard: $hard) while both agents sync: exactly once in PostgreSQL', async ({ hard }) => {
    // One agent on each node, so acks cross nodes through Redis as well as staying on one.
    for (const [i, w] of worlds.entries()) {
      if (w.agent.running) continue;
      c.route(c.nodes[i]!);
      await w.startAgent();
    }
    for (const w of worlds) w.startTraffic(120);
    const before = await Promise.all(worlds.map((w) => c.nodes[0]!.store.countImpressions(w.ref)));
    await waitFor(async () => (await Promise.all(worlds.map((w, i) => c.nodes[0]!.store.countImpressions(w.ref).then((n) => n >= before[i]! + 5)))).every(Boolean), 30_000, 'impressions flowing');

    const resends = await sumOver(worlds, 'doorcast_uplink_resends_total');
    // Away for 3 s, longer than the agents' ack timeout: batches sent meanwhile are resent.
    await c.redis.halt({ hard });
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await c.redis.resume();
    await waitFor(async () => (await Promise.all(worlds.map((w, i) => c.nodes[0]!.store.countImpressions(w.ref).then((n) => n >= before[i]! + 15)))).every(Boolean), 30_000, 'impressions flowing after the restart');

    for (const w of worlds) {
      const r = await w.settleAndReconcile();
      expect(r).toEqual(exact(r));
      expect(await pgCounts(c.pgUrl, w.ref)).toEqual({ n: r.impressions.recorded, ids: r.impressions.recorded, lo: 1, hi: r.impressions.recorded, keys: r.impressions.recorded });
      console.log(`redis restart (hard ${hard}): ${w.ref.device}: ${r.doorEvents.generated} door events, ${r.impressions.recorded} impressions`);
    }
    console.log(`redis restart (hard ${hard}): ${(await sumOver(worlds, 'doorcast_uplink_resends_total')) - resends} uplink resends across the outage`);
  }, 90_000);
});
