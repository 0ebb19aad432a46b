// Redis restarts under a running cluster (kill -9, then the same data back): the nodes stay up,
// their Redis connections come back, and batches are committed and acked across nodes again.
// Finer fault injection belongs to the chaos suite; this is the floor it builds on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, exampleImpressionBatch, topicFor } from '../../broker/src/contract.js';
import type { RunningBroker } from '../../broker/src/server/broker.js';
import { connectWith, nextMessage } from '../../broker/src/testing.js';
import { type Cluster, read, startCluster, within } from './cluster.js';

const ref = { site: 'oak', device: 'gate-1' };

describe('Redis restarting under the cluster', () => {
  let c: Cluster;
  let a: RunningBroker;
  let b: RunningBroker;
  beforeAll(async () => {
    c = await startCluster(2);
    [a, b] = c.nodes as [RunningBroker, RunningBroker];
  }, 60_000);
  afterAll(async () => {
    await c?.destroy();
  }, 60_000);

  it('after kill -9 and restart of Redis, a batch through B is acked to the device on A', async () => {
    const bundle = await a.addDevice(ref.site, ref.device);
    c.route(a);
    const device = await connectWith(c.url, bundle, { clean: false });
    c.route(b);
    const diag = await connectWith(c.url, { ...bundle, clientId: `${bundle.clientId}/diag` });
    try {
      await within(device.subscribeAsync(topicFor('ack', ref), { qos: 1 }), 5000, 'suback');
      await c.redis.halt({ hard: true });
      await new Promise((r) => setTimeout(r, 1000));
      await c.redis.resume();
      // ioredis reconnects with a capped backoff (≤ 2 s) and resubscribes; allow for that.
      let acked: Buffer | undefined;
      for (let i = 0; i < 10 && !acked; i++) {
        const batch = exampleImpressionBatch(ref, [1, 2, 3]);
        const next = nextMessage(device, topicFor('ack', ref), 1500).catch(() => undefined);
        await within(diag.publishAsync(topicFor('impressions', ref), encode('impressions', batch), { qos: 1 }), 5000, 'puback');
        acked = await next;
      }
      expect(acked && read('ack', acked)).toMatchObject({ status: 'committed', seqs: [[1, 3]] });
      expect(await b.store.countImpressions(ref)).toBe(3);
    } finally {
      await within(diag.endAsync(), 5000, 'disconnect');
      await within(device.endAsync(), 5000, 'disconnect');
    }
  }, 60_000);
});
