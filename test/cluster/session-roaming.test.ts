// A device's persistent session lives in Redis, not in the node it connected to (CLOUD-LINK.md
// §3.5): it connects to node A through the balancer, is cut off, reconnects to node B, and
// finds its subscriptions, the acks and commands queued while it was away, and the command
// that was in flight (written by A, never PUBACKed) when the link went dark and dropped.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Command, encode, exampleImpressionBatch, topicFor } from '../../broker/src/contract.js';
import type { RunningBroker } from '../../broker/src/server/broker.js';
import { closed, connectWith, nextMessage, until } from '../../broker/src/testing.js';
import { connectRecording, read, useCluster, within } from './cluster.js';

const ref = { site: 'maple', device: 'gate-1' };
const cmd = (name: Command['name']): Command => ({ cmdId: randomUUID(), name, issuedAt: new Date().toISOString() });
const downTopics = (['ack', 'manifest', 'cmd'] as const).map((k) => topicFor(k, ref));

describe('a persistent session across broker nodes', () => {
  const cluster = useCluster(2);

  it('device on A is cut off, reconnects to B: session, queued acks and commands, and the in-flight command survive', async () => {
    const c = cluster();
    const [a, b] = c.nodes as [RunningBroker, RunningBroker];
    const bundle = await a.addDevice(ref.site, ref.device);
    expect(bundle.brokerUrl).toBe(c.url);

    c.route(a);
    const first = await connectWith(c.url, bundle, { clean: false });
    await within(first.subscribeAsync(downTopics, { qos: 1 }), 5000, 'suback');
    await until(async () => (await a.fleet.list()).some((d) => d.device === ref.device && d.online), 5000, 'device online on A');

    // A batch through node A, acked after its commit in PostgreSQL (§5.3).
    const acked = nextMessage(first, topicFor('ack', ref));
    await within(first.publishAsync(topicFor('impressions', ref), encode('impressions', exampleImpressionBatch(ref, [1, 2, 3])), { qos: 1 }), 5000, 'puback');
    expect(read('ack', await acked)).toMatchObject({ status: 'committed', seqs: [[1, 3]] });

    // The link goes dark: A writes the command into it and never gets a PUBACK (in flight).
    c.lb.apply({ kind: 'blackhole' });
    const swallowed = c.lb.stats.swallowed;
    const inFlight = cmd('publish-state');
    await a.sendCommand(ref, inFlight);
    await until(() => c.lb.stats.swallowed > swallowed, 5000, 'command written by A, lost on the way');
    c.lb.apply({ kind: 'drop' });
    await closed(first);
    first.end(true);

    // While it is away: a batch from its diagnostic connection through node B, and another command.
    c.lb.apply({ kind: 'pass' });
    c.route(b);
    const diag = await connectWith(c.url, { ...bundle, clientId: `${bundle.clientId}/diag` });
    const batch = exampleImpressionBatch(ref, [4, 5]);
    await within(diag.publishAsync(topicFor('impressions', ref), encode('impressions', batch), { qos: 1 }), 5000, 'puback');
    await until(async () => (await b.store.countImpressions(ref)) === 5, 5000, 'batch 4–5 committed via B');
    const queued = cmd('flush-outbox');
    await b.sendCommand(ref, queued);

    // Back through node B, same client id, no new SUBSCRIBE: the session alone brings it all.
    const { client: second, got } = await connectRecording(c.url, bundle, { clean: false });
    try {
      await until(() => got.filter((m) => m.topic.endsWith('/cmd')).length >= 2 && got.some((m) => m.topic.endsWith('/ack')), 10_000, 'queued messages');
      const cmds = got.filter((m) => m.topic === topicFor('cmd', ref)).map((m) => read('cmd', m.payload).cmdId);
      expect(cmds).toEqual(expect.arrayContaining([inFlight.cmdId, queued.cmdId]));
      const acks = got.filter((m) => m.topic === topicFor('ack', ref)).map((m) => read('ack', m.payload));
      expect(acks).toContainEqual(expect.objectContaining({ batchId: batch.batchId, status: 'committed', seqs: [[4, 5]] }));
      await until(async () => (await b.fleet.list()).some((d) => d.device === ref.device && d.online), 5000, 'device online on B');
      expect(await a.store.countImpressions(ref)).toBe(5);
    } finally {
      await within(second.endAsync(), 5000, 'disconnect');
      await within(diag.endAsync(), 5000, 'disconnect');
    }
  }, 60_000);
});
