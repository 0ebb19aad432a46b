// Ingestion through a real broker: idempotent on (device, seq), acked only after the commit.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Ack,
  type CredentialBundle,
  exampleDoorCountBatch,
  exampleImpression,
  exampleImpressionBatch,
  exampleState,
  expandRanges,
  OFFLINE_WILL_PAYLOAD,
  parse,
  topicFor,
} from '../contract.js';
import { closed, connectWith, metricValue, nextMessage, noMessage, startTestBroker, type TestBroker, until } from '../testing.js';

let b: TestBroker;
let url: string;
let dev: CredentialBundle;
let c: MqttClient;
const ref = { site: 'maple', device: 'gate-1' };
const ackTopic = topicFor('ack', ref);

beforeAll(async () => {
  b = await startTestBroker();
  url = `mqtt://127.0.0.1:${b.mqttPort}`;
  dev = await b.addDevice(ref.site, ref.device);
  c = await connectWith(url, dev);
  await c.subscribeAsync(ackTopic, { qos: 1 });
});
afterAll(async () => {
  await c.endAsync(true);
  await b.destroy();
});

async function send(kind: 'impressions' | 'door-counts', payload: unknown): Promise<Ack> {
  const ack = nextMessage(c, ackTopic);
  await c.publishAsync(topicFor(kind, ref), JSON.stringify(payload), { qos: 1 });
  const a = parse('ack', await ack);
  if (!a.ok) throw new Error(`bad ack: ${a.message}`);
  return a.value;
}

describe('ingestion (CLOUD-LINK.md §5.3)', () => {
  it('stores a batch once and acks it twice when it is sent twice', async () => {
    const batch = exampleImpressionBatch(ref, [1, 2, 3, 5]);
    const first = await send('impressions', batch);
    expect(first).toMatchObject({ batchId: batch.batchId, kind: 'impressions', status: 'committed', seqs: [[1, 3], [5, 5]] });
    const second = await send('impressions', batch);
    expect(second).toMatchObject({ batchId: batch.batchId, status: 'committed', seqs: [[1, 3], [5, 5]] });
    expect(await b.store.countImpressions(ref)).toBe(4);
    expect(await metricValue(b, 'doorcast_broker_records_total', { kind: 'impressions', result: 'duplicates' })).toBe(4);
    const stored = await b.store.listImpressions(ref);
    expect(stored.map((r) => r.impressionId)).toEqual([...batch.records].map((r) => r.impressionId));
  });

  it('acks a reused seq as committed and names it a conflict', async () => {
    const a = await send('impressions', exampleImpressionBatch(ref, [5, 6]));
    expect(expandRanges(a.seqs)).toEqual([5, 6]);
    expect(a.conflicts).toEqual([[5, 5]]);
    expect(await b.store.countImpressions(ref)).toBe(5);
  });

  it('ingests door counts on their own topic and acks them with their kind', async () => {
    const a = await send('door-counts', exampleDoorCountBatch(ref, [1, 2]));
    expect(a).toMatchObject({ kind: 'door-counts', status: 'committed', seqs: [[1, 2]] });
    expect(await b.store.countDoorCounts(ref)).toBe(2);
  });

  it('acks only after the commit: a failing store sends no ack, a retry then commits', async () => {
    // A real failure inside SQLite: a trigger, installed through a second connection.
    const side = new Database(join(b.stateDir, 'impressions.sqlite'));
    side.exec(`CREATE TRIGGER fail_insert BEFORE INSERT ON impressions BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
    const batch = { batchId: randomUUID(), site: ref.site, device: ref.device, records: [exampleImpression(100), exampleImpression(101)] };
    const failuresBefore = await metricValue(b, 'doorcast_broker_store_failures_total', { kind: 'impressions' });
    const none = noMessage(c, ackTopic, 400);
    await c.publishAsync(topicFor('impressions', ref), JSON.stringify(batch), { qos: 1 });
    await none;
    expect(await metricValue(b, 'doorcast_broker_store_failures_total', { kind: 'impressions' })).toBe(failuresBefore + 1);
    expect((await b.store.listImpressions(ref, { afterSeq: 99 })).length).toBe(0);

    side.exec('DROP TRIGGER fail_insert');
    side.close();
    const ack = nextMessage(c, ackTopic);
    await c.publishAsync(topicFor('impressions', ref), JSON.stringify(batch), { qos: 1 });
    await ack;
    // When the ack arrives the rows are already committed.
    expect((await b.store.listImpressions(ref, { afterSeq: 99 })).map((r) => r.deviceSeq)).toEqual([100, 101]);
  });

  it('a 500-record batch at the size limit is stored whole', async () => {
    const seqs = Array.from({ length: 500 }, (_, i) => 1000 + i);
    const a = await send('impressions', exampleImpressionBatch(ref, seqs));
    expect(a.seqs).toEqual([[1000, 1499]]);
    expect((await b.store.listImpressions(ref, { afterSeq: 999, limit: 1000 })).length).toBe(500);
  });
});

describe('fleet state (CLOUD-LINK.md §5.4)', () => {
  it('records state, last seen, and the last will marking the device offline', async () => {
    const d = await b.addDevice('maple', 'gate-4');
    const r = { site: 'maple', device: 'gate-4' };
    const will = { topic: topicFor('state', r), payload: Buffer.from(OFFLINE_WILL_PAYLOAD), qos: 1 as const, retain: true };
    const x = await connectWith(url, d, { will });
    await x.publishAsync(topicFor('state', r), JSON.stringify(exampleState({ manifestVersion: 7, outboxDepth: 3, oldestUnsyncedAgeS: 12 })), { qos: 1, retain: true });
    await until(async () => (await b.fleet.get(r))?.manifestVersionApplied === 7, 3000, 'state applied');
    expect(await b.fleet.get(r)).toMatchObject({ online: true, connections: 1, outboxDepth: 3, oldestUnsyncedAgeS: 12, agentVersion: '0.1.0' });
    expect((await b.fleet.get(r))?.lastSeen).not.toBeNull();

    // An operator watching states sees the retained online state, then the will.
    const op = await connectWith(url, await b.addOperator('watch'));
    const retained = nextMessage(op, topicFor('state', r));
    await op.subscribeAsync('doorcast/v1/+/+/state', { qos: 1 });
    expect(parse('state', await retained)).toMatchObject({ ok: true, value: { online: true } });
    const offline = nextMessage(op, topicFor('state', r));
    (x as unknown as { stream: { destroy(): void } }).stream.destroy(); // not a clean disconnect: the will fires
    expect(parse('state', await offline)).toEqual({ ok: true, value: { online: false } });
    await until(async () => (await b.fleet.get(r))?.online === false, 3000, 'offline');
    expect((await b.fleet.get(r))?.manifestVersionApplied).toBe(7);
    await x.endAsync(true);
    await op.endAsync(true);
  });

  it('suppresses the will of a connection taken over by a reconnect of the same device', async () => {
    const d = await b.addDevice('maple', 'gate-5');
    const r = { site: 'maple', device: 'gate-5' };
    const will = { topic: topicFor('state', r), payload: Buffer.from(OFFLINE_WILL_PAYLOAD), qos: 1 as const, retain: true };
    const first = await connectWith(url, d, { will });
    const before = await metricValue(b, 'doorcast_broker_wills_suppressed_total');
    const second = await connectWith(url, d, { will });
    await closed(first);
    await second.publishAsync(topicFor('state', r), JSON.stringify(exampleState()), { qos: 1, retain: true });
    await until(async () => (await metricValue(b, 'doorcast_broker_wills_suppressed_total')) === before + 1, 3000, 'will suppressed');
    await until(async () => (await b.fleet.get(r))?.online === true && (await b.fleet.get(r))?.connections === 1, 3000, 'online with one connection');
    await first.endAsync(true);
    await second.endAsync(true);
  });
});
