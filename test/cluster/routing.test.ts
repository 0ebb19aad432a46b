// Messages cross nodes through Redis (mqemitter-redis): a manifest published by node A reaches
// a device connected to node B, retained and live (CLOUD-LINK.md §5.5, §6.5), and the ack of a
// batch ingested on node B reaches the device's connection on node A (§5.3).
import { describe, expect, it } from 'vitest';
import { encode, exampleImpressionBatch, type ManifestBody, topicFor } from '../../broker/src/contract.js';
import type { RunningBroker } from '../../broker/src/server/broker.js';
import { connectWith, metricValue, nextMessage } from '../../broker/src/testing.js';
import { read, useCluster, within } from './cluster.js';

const down = (ref: { site: string; device: string }) => (['ack', 'manifest', 'cmd'] as const).map((k) => topicFor(k, ref));
const body = (payload: Buffer) => JSON.parse(read('manifest', payload).body) as ManifestBody;

describe('routing between broker nodes', () => {
  const cluster = useCluster(2);

  it('a manifest published by node A reaches a device on node B, retained and then live', async () => {
    const c = cluster();
    const [a, b] = c.nodes as [RunningBroker, RunningBroker];
    const ref = { site: 'maple', device: 'gate-1' };
    const bundle = await a.addDevice(ref.site, ref.device);
    expect(a.manifests.current(ref)?.version).toBe(1);
    // B never compiled one (its refresh is 10 min away): what the device gets comes from A.
    expect(b.manifests.current(ref)).toBeNull();

    c.route(b);
    const device = await connectWith(c.url, bundle, { clean: false });
    try {
      const retained = nextMessage(device, topicFor('manifest', ref));
      await within(device.subscribeAsync(down(ref), { qos: 1 }), 5000, 'suback');
      expect(body(await retained)).toMatchObject({ version: 1, site: ref.site, device: ref.device });

      const live = nextMessage(device, topicFor('manifest', ref));
      await a.campaigns.setSite(ref.site, { timezone: 'Asia/Shanghai' });
      await a.manifests.refresh();
      expect(body(await live)).toMatchObject({ version: 2 });
      expect(b.manifests.current(ref)).toBeNull();
    } finally {
      await within(device.endAsync(), 5000, 'disconnect');
    }
  });

  it('a batch ingested on node B is acked to the device on node A', async () => {
    const c = cluster();
    const [a, b] = c.nodes as [RunningBroker, RunningBroker];
    const ref = { site: 'maple', device: 'gate-2' };
    const bundle = await a.addDevice(ref.site, ref.device);
    c.route(a);
    const device = await connectWith(c.url, bundle, { clean: false });
    c.route(b);
    const diag = await connectWith(c.url, { ...bundle, clientId: `${bundle.clientId}/diag` });
    try {
      await within(device.subscribeAsync(down(ref), { qos: 1 }), 5000, 'suback');
      const before = { a: await metricValue(a, 'doorcast_broker_acks_total'), b: await metricValue(b, 'doorcast_broker_acks_total') };
      const batch = exampleImpressionBatch(ref, [1, 2, 3, 4]);
      const acked = nextMessage(device, topicFor('ack', ref));
      await within(diag.publishAsync(topicFor('impressions', ref), encode('impressions', batch), { qos: 1 }), 5000, 'puback');
      expect(read('ack', await acked)).toMatchObject({ batchId: batch.batchId, status: 'committed', seqs: [[1, 4]] });
      // B ingested and acked; A only carried the ack to its connection.
      expect(await metricValue(b, 'doorcast_broker_acks_total')).toBe(before.b + 1);
      expect(await metricValue(a, 'doorcast_broker_acks_total')).toBe(before.a);
      expect(await a.store.countImpressions(ref)).toBe(4);
    } finally {
      await within(diag.endAsync(), 5000, 'disconnect');
      await within(device.endAsync(), 5000, 'disconnect');
    }
  });
});
