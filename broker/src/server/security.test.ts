// The security table: every way in that must be refused is refused, counted, and stores nothing.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CredentialBundle, exampleImpressionBatch, MAX_UP_PAYLOAD_BYTES, parse, topicFor } from '../contract.js';
import { closed, connectWith, metricValue, nextMessage, noMessage, startTestBroker, type TestBroker, until } from '../testing.js';

let b: TestBroker;
let url: string;
let A: CredentialBundle;
let B: CredentialBundle;
let revoked: CredentialBundle;
let op: CredentialBundle;
const refA = { site: 'maple', device: 'gate-1' };
const refB = { site: 'maple', device: 'gate-2' };
const open: MqttClient[] = [];
const connect = async (bundle: Pick<CredentialBundle, 'username' | 'password' | 'clientId'>) => {
  const c = await connectWith(url, bundle);
  open.push(c);
  return c;
};

beforeAll(async () => {
  b = await startTestBroker();
  url = `mqtt://127.0.0.1:${b.mqttPort}`;
  A = await b.addDevice(refA.site, refA.device);
  B = await b.addDevice(refB.site, refB.device);
  revoked = await b.addDevice('maple', 'gate-3');
  await b.revokeDevice('maple', 'gate-3');
  op = await b.addOperator('ops');
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.endAsync(true)));
  await b.destroy();
});

describe('connection refused (MQTT 3.1.1 Table 3.1 return codes)', () => {
  it.each([
    ['wrong password', 4, 'bad-credentials', () => ({ ...A, password: 'x'.repeat(43) })],
    ['unknown username', 4, 'bad-credentials', () => ({ ...A, username: 'maple/nobody', clientId: 'maple/nobody' })],
    ['no credential', 5, 'anonymous', () => ({ clientId: A.clientId, username: undefined as unknown as string, password: undefined as unknown as string })],
    ['username without password', 5, 'anonymous', () => ({ ...A, password: undefined as unknown as string })],
    ['revoked device', 5, 'revoked', () => revoked],
    ['another identity’s client id', 2, 'client-id', () => ({ ...A, clientId: B.clientId })],
    ['empty client id', 2, 'client-id', () => ({ ...A, clientId: '' })],
  ])('%s → CONNACK %i, counted as %s', async (_name, code, result, creds) => {
    const before = await metricValue(b, 'doorcast_broker_auth_total', { result });
    await expect(connectWith(url, creds())).rejects.toMatchObject({ code });
    expect(await metricValue(b, 'doorcast_broker_auth_total', { result })).toBe(before + 1);
  });
});

describe('ACL', () => {
  it('a device publishing to another device’s topic is disconnected, counted, nothing stored', async () => {
    const c = await connect(A);
    const before = await metricValue(b, 'doorcast_broker_acl_denied_total', { action: 'publish' });
    c.publish(topicFor('impressions', refB), JSON.stringify(exampleImpressionBatch(refB, [1])), { qos: 1 });
    await closed(c);
    expect(await metricValue(b, 'doorcast_broker_acl_denied_total', { action: 'publish' })).toBe(before + 1);
    expect(await b.store.countImpressions()).toBe(0);
  });

  it.each(['ack', 'manifest', 'cmd'] as const)('a device publishing to its own %s topic is disconnected', async (kind) => {
    const c = await connect(A);
    const before = await metricValue(b, 'doorcast_broker_acl_denied_total', { action: 'publish' });
    c.publish(topicFor(kind, refA), '{}', { qos: 1, retain: true });
    await closed(c);
    expect(await metricValue(b, 'doorcast_broker_acl_denied_total', { action: 'publish' })).toBe(before + 1);
  });

  it('subscribing to another device’s manifest is refused with SUBACK 0x80, connection kept', async () => {
    const c = await connect(A);
    const before = await metricValue(b, 'doorcast_broker_acl_denied_total', { action: 'subscribe' });
    // mqtt.js rejects a SUBSCRIBE with any 0x80 grant, carrying the SUBACK.
    const err = await c.subscribeAsync([topicFor('manifest', refB), 'doorcast/v1/#', topicFor('manifest', refA)], { qos: 1 }).catch((e: unknown) => e);
    expect((err as { packet: { granted: number[] } }).packet.granted).toEqual([128, 128, 1]);
    expect(await metricValue(b, 'doorcast_broker_acl_denied_total', { action: 'subscribe' })).toBe(before + 2);
    expect(c.connected).toBe(true);
  });

  it('an operator may not forge device data', async () => {
    const c = await connect(op);
    c.publish(topicFor('impressions', refA), JSON.stringify(exampleImpressionBatch(refA, [1])), { qos: 1 });
    await closed(c);
    expect(await b.store.countImpressions()).toBe(0);
  });
});

describe('payloads', () => {
  it('an oversized payload closes the connection, counted, nothing stored', async () => {
    const c = await connect(A);
    const before = await metricValue(b, 'doorcast_broker_payload_rejected_total', { kind: 'impressions', reason: 'too-large' });
    c.publish(topicFor('impressions', refA), Buffer.alloc(MAX_UP_PAYLOAD_BYTES + 1, 0x20), { qos: 1 });
    await closed(c);
    expect(await metricValue(b, 'doorcast_broker_payload_rejected_total', { kind: 'impressions', reason: 'too-large' })).toBe(before + 1);
    expect(await b.store.countImpressions()).toBe(0);
  });

  it('a packet over mqtt.maxPacketBytes is cut off from its header, before it is buffered', async () => {
    const c = await connect(A);
    const before = await metricValue(b, 'doorcast_broker_oversized_packets_total', { transport: 'tcp' });
    c.publish(topicFor('impressions', refA), Buffer.alloc(2 * 1024 * 1024, 0x20), { qos: 0 });
    await closed(c);
    expect(await metricValue(b, 'doorcast_broker_oversized_packets_total', { transport: 'tcp' })).toBe(before + 1);
  });

  it('a batch that breaks the schema is acked rejected with the path, counted, nothing stored', async () => {
    const c = await connect(A);
    await c.subscribeAsync(topicFor('ack', refA), { qos: 1 });
    const batch = exampleImpressionBatch(refA, [1, 2]);
    (batch.records[1] as Record<string, unknown>).pseudonym = '6222020200112233445';
    const ack = nextMessage(c, topicFor('ack', refA));
    await c.publishAsync(topicFor('impressions', refA), JSON.stringify(batch), { qos: 1 });
    const a = parse('ack', await ack);
    expect(a).toMatchObject({ ok: true, value: { batchId: batch.batchId, status: 'rejected', reason: 'schema', path: 'records.1.pseudonym', seqs: [] } });
    expect(await metricValue(b, 'doorcast_broker_payload_rejected_total', { kind: 'impressions', reason: 'schema' })).toBeGreaterThanOrEqual(1);
    expect(await b.store.countImpressions()).toBe(0);
    expect(c.connected).toBe(true);
  });

  it('a batch naming another device on the own topic is rejected wrong-device', async () => {
    const c = await connect(A);
    await c.subscribeAsync(topicFor('ack', refA), { qos: 1 });
    const batch = exampleImpressionBatch(refB, [1]);
    const ack = nextMessage(c, topicFor('ack', refA));
    await c.publishAsync(topicFor('impressions', refA), JSON.stringify(batch), { qos: 1 });
    expect(parse('ack', await ack)).toMatchObject({ ok: true, value: { status: 'rejected', reason: 'wrong-device', path: 'device' } });
    expect(await b.store.countImpressions()).toBe(0);
  });

  it('garbage without a batch id is counted and gets no ack', async () => {
    const c = await connect(A);
    await c.subscribeAsync(topicFor('ack', refA), { qos: 1 });
    const before = await metricValue(b, 'doorcast_broker_payload_rejected_total', { kind: 'door-counts', reason: 'not-json' });
    const none = noMessage(c, topicFor('ack', refA), 300);
    await c.publishAsync(topicFor('door-counts', refA), 'not json', { qos: 1 });
    await none;
    expect(await metricValue(b, 'doorcast_broker_payload_rejected_total', { kind: 'door-counts', reason: 'not-json' })).toBe(before + 1);
  });

  it('an invalid state is not retained', async () => {
    const c = await connect(A);
    await c.publishAsync(topicFor('state', refA), '{"online":"yes"}', { qos: 1, retain: true });
    const watcher = await connect(op);
    await watcher.subscribeAsync(topicFor('state', refA), { qos: 1 });
    await noMessage(watcher, topicFor('state', refA), 200);
  });
});

describe('revocation', () => {
  it('revoking a connected device disconnects it and refuses it from then on', async () => {
    const d = await b.addDevice('maple', 'gate-9');
    const c = await connect(d);
    await b.revokeDevice('maple', 'gate-9');
    await closed(c);
    await expect(connectWith(url, d)).rejects.toMatchObject({ code: 5 });
  });

  it('a revocation made by another process is enforced by the periodic recheck', async () => {
    const d = await b.addDevice('maple', 'gate-8');
    const c = await connect(d);
    await b.identities.revoke('maple/gate-8'); // the same database another process writes
    await closed(c);
    await until(async () => (await metricValue(b, 'doorcast_broker_sessions_revoked_total')) >= 2, 3000, 'revocation counted');
  });

  it('rotating a credential disconnects sessions using the old one', async () => {
    const d = await b.addDevice('maple', 'gate-7');
    const c = await connect(d);
    const fresh = await b.rotateDevice('maple', 'gate-7');
    await closed(c);
    await expect(connectWith(url, d)).rejects.toMatchObject({ code: 4 });
    const again = await connect(fresh);
    expect(again.connected).toBe(true);
  });
});
