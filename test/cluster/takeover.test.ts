// A device that reconnects to another node before its old connection died is not offline
// (CLOUD-LINK.md §3.4): the node holding the old connection closes it when the new one is
// announced over Redis, and must not publish its last will.
import { describe, expect, it } from 'vitest';
import { encode, exampleState, topicFor } from '../../broker/src/contract.js';
import type { RunningBroker } from '../../broker/src/server/broker.js';
import { closed, connectWith, metricValue, nextMessage, until } from '../../broker/src/testing.js';
import { read, useCluster, within } from './cluster.js';

const ref = { site: 'maple', device: 'gate-3' };

describe('a takeover across nodes', () => {
  const cluster = useCluster(2);

  it('the old connection on A is closed without its will; the device stays online', async () => {
    const c = cluster();
    const [a, b] = c.nodes as [RunningBroker, RunningBroker];
    const bundle = await a.addDevice(ref.site, ref.device);
    const will = { topic: topicFor('state', ref), payload: Buffer.from('{"online":false}'), qos: 1 as const, retain: true };
    const online = encode('state', exampleState({ online: true }));
    c.route(a);
    const old = await connectWith(c.url, bundle, { clean: false, will });
    await within(old.publishAsync(topicFor('state', ref), online, { qos: 1, retain: true }), 5000, 'puback');
    await until(async () => (await a.fleet.get(ref))?.online === true, 5000, 'online via A');

    c.route(b);
    const fresh = await connectWith(c.url, bundle, { clean: false, will });
    try {
      await closed(old, 5000);
      old.end(true);
      await within(fresh.publishAsync(topicFor('state', ref), online, { qos: 1, retain: true }), 5000, 'puback');
      // Whatever A would publish has had time to arrive.
      await new Promise((r) => setTimeout(r, 500));
      expect(await metricValue(a, 'doorcast_broker_wills_suppressed_total')).toBe(1);
      const op = await connectWith(c.url, await b.addOperator('ops'));
      try {
        const retained = nextMessage(op, topicFor('state', ref));
        await within(op.subscribeAsync(topicFor('state', ref), { qos: 1 }), 5000, 'suback');
        expect(read('state', await retained)).toMatchObject({ online: true });
      } finally {
        await within(op.endAsync(), 5000, 'disconnect');
      }
      expect((await b.fleet.get(ref))?.online).toBe(true);
    } finally {
      await within(fresh.endAsync(), 5000, 'disconnect');
    }
  });
});
