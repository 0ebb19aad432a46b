// A load-generator process (forked by the broker bench, driven over IPC): many mqtt.js
// device clients, so the broker under test never shares an event loop with its load.
// Exits when the bench goes away (IPC disconnect).
import { type Ack, deviceSubscriptions, encode, exampleImpressionBatch, expandRanges, parse, topicFor } from '@doorcast/firmware-protocol/cloud';
import { connectAsync, type MqttClient } from 'mqtt';
import type { Counts, Cred, Reply, Request } from './load-protocol.js';

const ACK_TIMEOUT_MS = 30_000;
const MAX_ERRORS = 20;

interface Device {
  cred: Cred;
  client: MqttClient;
  seq: number;
}

const counts: Counts = { connected: 0, acked: 0, batches: 0, badAcks: 0, ackTimeouts: 0, ackLatency: { p50: 0, p99: 0, max: 0, n: 0 }, delivered: 0, published: 0, errors: [] };
/** Publish → ack times of the current ingest run, capped so memory stays bounded. */
const MAX_LATENCIES = 200_000;
let latencies: number[] = [];

function latencySummary(): Counts['ackLatency'] {
  if (latencies.length === 0) return { p50: 0, p99: 0, max: 0, n: 0 };
  const s = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
  return { p50: at(0.5), p99: at(0.99), max: Math.round(s[s.length - 1]!), n: s.length };
}
const groups = new Map<string, Device[]>();
const pendingAcks = new Map<string, (a: Ack) => void>();
let ingest: { running: boolean; loops: Promise<void>[] } = { running: false, loops: [] };
let raw: { running: boolean; loops: Promise<void>[]; clients: MqttClient[] } = { running: false, loops: [], clients: [] };

function error(msg: string): void {
  if (counts.errors.length < MAX_ERRORS) counts.errors.push(msg);
}

async function pool<T>(items: T[], n: number, f: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await f(items[next++]!);
    }),
  );
}

/** Clients this process is ending: mqtt.js may report a late write on them, not a fault. */
const ending = new WeakSet<MqttClient>();

function end(client: MqttClient, force = false): Promise<void> {
  ending.add(client);
  return client.endAsync(force);
}

function track(client: MqttClient): void {
  counts.connected++;
  client.on('error', (e) => {
    if (!ending.has(client)) error(`client ${client.options.clientId}: ${e.message}`);
  });
  client.once('close', () => counts.connected--);
}

function onDeviceMessage(topic: string, payload: Buffer): void {
  if (!topic.endsWith('/ack')) return; // the retained manifest, a command
  const p = parse('ack', payload);
  if (!p.ok) {
    counts.badAcks++;
    error(`unparsable ack: ${p.message}`);
    return;
  }
  pendingAcks.get(p.value.batchId)?.(p.value);
}

/** As the agent connects (agent/src/sync/cloud-link.ts): 3.1.1, clean false, keepalive 30. */
async function connectDevice(url: string, cred: Cred): Promise<Device> {
  const client = await connectAsync(url, {
    protocolVersion: 4,
    clientId: cred.username,
    username: cred.username,
    password: cred.password,
    clean: false,
    keepalive: 30,
    reconnectPeriod: 0,
    connectTimeout: 60_000,
    resubscribe: false,
  });
  track(client);
  client.on('message', onDeviceMessage);
  await client.subscribeAsync(deviceSubscriptions(cred), { qos: 1 });
  return { cred, client, seq: 1 };
}

function waitAck(batchId: string): Promise<Ack | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      pendingAcks.delete(batchId);
      resolve(null);
    }, ACK_TIMEOUT_MS);
    pendingAcks.set(batchId, (a) => {
      clearTimeout(timer);
      pendingAcks.delete(batchId);
      resolve(a);
    });
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One device: publish a batch, wait for its application ack, again (window 1), or paced. */
async function deviceLoop(d: Device, records: number, deadline: number, intervalMs?: number): Promise<void> {
  const topic = topicFor('impressions', d.cred);
  let next = intervalMs ? performance.now() + Math.random() * intervalMs : 0;
  for (let i = 0; ingest.running && Date.now() < deadline && i < 1_000_000; i++) {
    if (intervalMs) {
      await pause(Math.max(0, next - performance.now()));
      next = Math.max(next, performance.now()) + intervalMs; // late: no catch-up burst
      if (!ingest.running) return;
    }
    const first = d.seq;
    d.seq += records;
    const batch = exampleImpressionBatch(d.cred, Array.from({ length: records }, (_, k) => first + k));
    const ack = waitAck(batch.batchId);
    const t0 = performance.now();
    try {
      // Validated once at start (encode); plain JSON here keeps the generator's CPU off the 2 cores.
      await d.client.publishAsync(topic, Buffer.from(JSON.stringify(batch)), { qos: 1 });
    } catch (e) {
      error(`publish ${d.cred.username}: ${(e as Error).message}`);
      pendingAcks.delete(batch.batchId); // its timer settles the abandoned wait
      return;
    }
    const a = await ack;
    if (!a) counts.ackTimeouts++;
    else if (a.status !== 'committed' || (a.conflicts?.length ?? 0) > 0) {
      counts.badAcks++;
      error(`ack ${a.status} ${a.reason ?? ''} ${a.path ?? ''}`);
    } else {
      const seqs = expandRanges(a.seqs);
      if (seqs.length === records && seqs[0] === first && seqs[records - 1] === first + records - 1) {
        counts.acked += records;
        counts.batches++;
        if (latencies.length < MAX_LATENCIES) latencies.push(performance.now() - t0);
      } else {
        counts.badAcks++;
        error(`ack for ${batch.batchId} names other seqs`);
      }
    }
  }
}

async function rawPublisher(client: MqttClient, topic: string, payload: Buffer, deadline: number): Promise<void> {
  for (let i = 0; raw.running && Date.now() < deadline && i < 10_000_000; i++) {
    try {
      await client.publishAsync(topic, payload, { qos: 1 });
      counts.published++;
    } catch (e) {
      error(`raw publish: ${(e as Error).message}`);
      return;
    }
  }
}

async function handle(req: Request): Promise<void> {
  switch (req.op) {
    case 'connect': {
      const list = groups.get(req.group) ?? [];
      groups.set(req.group, list);
      await pool(req.devices, req.concurrency, async (c) => {
        try {
          list.push(await connectDevice(req.url, c));
        } catch (e) {
          error(`connect ${c.username}: ${(e as Error).message}`);
        }
      });
      return;
    }
    case 'trim': {
      const list = groups.get(req.group) ?? [];
      const gone = list.splice(req.keep);
      await pool(gone, 100, (d) => end(d.client));
      return;
    }
    case 'ingest-start': {
      const sample = (groups.get(req.group) ?? []).slice(0, req.count);
      if (sample[0]) encode('impressions', exampleImpressionBatch(sample[0].cred, [1])); // throws if the bench data is invalid
      ingest = { running: true, loops: [] };
      latencies = [];
      const deadline = Date.now() + req.maxSeconds * 1000;
      ingest.loops = sample.map((d) => deviceLoop(d, req.records, deadline, req.intervalMs));
      return;
    }
    case 'ingest-stop':
      ingest.running = false;
      await Promise.all(ingest.loops);
      counts.ackLatency = latencySummary();
      return;
    case 'raw-subscribe': {
      raw.running = true;
      await pool(req.subscribers, 20, async (c) => {
        const client = await connectAsync(req.url, { protocolVersion: 4, clientId: c.username, username: c.username, password: c.password, reconnectPeriod: 0, connectTimeout: 30_000 });
        track(client);
        raw.clients.push(client);
        client.on('message', () => counts.delivered++);
        await client.subscribeAsync(req.topics[req.subscribers.indexOf(c)]!, { qos: 1 });
      });
      return;
    }
    case 'raw-publish-start': {
      raw.running = true;
      const payload = Buffer.alloc(req.payloadBytes, 0x61);
      const deadline = Date.now() + req.maxSeconds * 1000;
      for (const [i, p] of req.publishers.entries()) {
        const client = await connectAsync(req.url, { protocolVersion: 4, clientId: p.clientId, username: p.username, password: p.password, reconnectPeriod: 0, connectTimeout: 30_000 });
        track(client);
        raw.clients.push(client);
        for (let w = 0; w < req.window; w++) raw.loops.push(rawPublisher(client, req.topics[i]!, payload, deadline));
      }
      return;
    }
    case 'raw-stop': {
      raw.running = false;
      await Promise.all(raw.loops);
      await Promise.all(raw.clients.map((c) => end(c, true)));
      raw = { running: false, loops: [], clients: [] };
      return;
    }
    case 'counts':
      return;
  }
}

process.on('disconnect', () => process.exit(0));
process.on('message', (m: { id: number; req: Request }) => {
  const t0 = performance.now();
  const send = (r: Reply) => process.send?.(r);
  handle(m.req).then(
    () => send({ id: m.id, ok: true, counts: { ...counts, errors: [...counts.errors] }, ms: performance.now() - t0 }),
    (e: Error) => send({ id: m.id, ok: false, error: e.stack ?? e.message }),
  );
});
process.send?.({ id: 0, ok: true, counts, ms: 0 } satisfies Reply);
