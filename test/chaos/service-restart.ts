// The shared shape of the Redis and PostgreSQL restart scenarios: a two-node cluster
// (test/cluster/cluster.ts: in-process nodes, private Redis and PostgreSQL, the chaos proxy as
// balancer), an agent on each node syncing, the service halted for longer than the agents'
// ack timeout (clean, then hard), and every impression in PostgreSQL exactly once after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../../broker/src/testing.js';
import { type Cluster, startCluster } from '../cluster/cluster.js';
import { type TestService, waitFor } from '../support/service-process.js';
import { pgCounts } from './pg-counts.js';
import { exact, sumOver, World } from './world.js';

const OUTAGE_MS = 3000;

export function describeServiceRestart(name: string, devices: readonly [string, string], service: (c: Cluster) => TestService): void {
  describe(`cluster: ${name} restarted`, () => {
    let c: Cluster;
    const worlds: World[] = [];
    beforeAll(async () => {
      c = await startCluster(2);
      const node = c.nodes[0]!;
      for (const device of devices) worlds.push(await World.start({ device, proxy: c.lb, cloud: { mqttPort: node.mqttPort!, provision: node, store: node.store } }));
    }, 90_000);
    afterAll(async () => {
      for (const w of worlds) await w.destroy();
      await c?.destroy();
    }, 60_000);

    it.each([{ hard: false }, { hard: true }])(`${name} halted ${OUTAGE_MS} ms (hard: $hard) while both agents sync: exactly once in PostgreSQL`, async ({ hard }) => {
      // One agent on each node, so acks cross nodes through Redis as well as staying on one.
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
      const s = service(c);
      await s.halt({ hard });
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await s.resume();
      await waitFor(async () => (await count()).every((n, i) => n >= before[i]! + 12), 30_000, 'impressions flowing after the restart');

      for (const w of worlds) {
        const r = await w.settleAndReconcile();
        expect(r).toEqual(exact(r));
        const n = r.impressions.recorded;
        expect(await pgCounts(c.pgUrl, w.ref)).toEqual({ n, ids: n, lo: 1, hi: n, keys: n });
        console.log(`${name} restart (hard ${hard}): ${w.ref.device}: ${r.doorEvents.generated} door events, ${n} impressions`);
      }
      const failures = (await Promise.all(c.nodes.map((n) => metricValue(n, 'doorcast_broker_store_failures_total')))).reduce((a, b) => a + b, 0);
      console.log(`${name} restart (hard ${hard}): ${(await sumOver(worlds, 'doorcast_uplink_resends_total')) - resends} uplink resends; broker store failures so far ${failures}`);
    }, 90_000);
  });
}
