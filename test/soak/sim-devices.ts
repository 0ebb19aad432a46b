// Simulated devices for the soak: plain mqtt.js clients that behave like the agent's uplink
// (agent/src/sync/cloud-link.ts, uplink.ts): 3.1.1, persistent session, keepalive 30, a
// retained "offline" will, retained state now and then, impression batches sent one at a time
// and resent until the application ack says committed. Some reconnect every so often (churn).
import { randomUUID } from 'node:crypto';
import { type Ack, deviceSubscriptions, encode, exampleImpressionBatch, expandRanges, OFFLINE_WILL_PAYLOAD, parse, topicFor } from '@doorcast/firmware-protocol/cloud';
import { connectAsync, type MqttClient } from 'mqtt';
import type { Cred } from '../bench/broker/load-protocol.js';

export interface FleetOptions {
  url: string;
  creds: Cred[];
  /** Impressions per batch, and the pause between one device's batches (jittered ±50%). */
  records: number;
  everyMs: number;
  stateEveryMs: number;
  /** Every churnEveryMs, this many devices disconnect and come back. */
  churn: { everyMs: number; devices: number };
  ackTimeoutMs?: number;
}

export interface FleetCounts {
  connected: number;
  batches: number;
  acked: number;
  resends: number;
  reconnects: number;
  errors: number;
  lastError: string;
}

interface Device {
  cred: Cred;
  client: MqttClient | undefined;
  seq: number;
  bootId: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SimFleet {
  readonly counts: FleetCounts = { connected: 0, batches: 0, acked: 0, resends: 0, reconnects: 0, errors: 0, lastError: '' };
  readonly #o: FleetOptions;
  readonly #devices: Device[];
  readonly #acks = new Map<string, (a: Ack) => void>();
  #running = false;
  #loops: Promise<void>[] = [];
  #churnTimer: NodeJS.Timeout | undefined;
  /** Clients the soak itself is ending: a late write on them is the soak's doing, not a fault. */
  readonly #ending = new WeakSet<MqttClient>();

  constructor(o: FleetOptions) {
    this.#o = o;
    this.#devices = o.creds.map((cred) => ({ cred, client: undefined, seq: 1, bootId: randomUUID() }));
    // The payloads are the contract's: fail here, not 500 times later.
    encode('impressions', exampleImpressionBatch(o.creds[0]!, [1]));
  }

  #error(msg: string): void {
    this.counts.errors++;
    this.counts.lastError = msg;
  }

  async #connect(d: Device): Promise<void> {
    const c = await connectAsync(this.#o.url, {
      protocolVersion: 4,
      clientId: d.cred.username,
      username: d.cred.username,
      password: d.cred.password,
      clean: false,
      keepalive: 30,
      reconnectPeriod: 0,
      connectTimeout: 30_000,
      resubscribe: false,
      will: { topic: topicFor('state', d.cred), payload: Buffer.from(OFFLINE_WILL_PAYLOAD), qos: 1, retain: true },
    });
    this.counts.connected++;
    c.once('close', () => this.counts.connected--);
    c.on('error', (e) => {
      if (!this.#ending.has(c)) this.#error(`${d.cred.device}: ${e.message}`);
    });
    c.on('message', (topic, payload) => {
      if (!topic.endsWith('/ack')) return;
      const p = parse('ack', payload);
      if (p.ok) this.#acks.get(p.value.batchId)?.(p.value);
      else this.#error(`bad ack: ${p.message}`);
    });
    await c.subscribeAsync(deviceSubscriptions(d.cred), { qos: 1 });
    d.client = c;
    this.#publishState(d);
  }

  #publishState(d: Device): void {
    const state = { online: true as const, agentVersion: 'soak-1', manifestVersion: 0, outboxDepth: 0, oldestUnsyncedAgeS: 0, bootId: d.bootId, ts: new Date().toISOString() };
    d.client?.publish(topicFor('state', d.cred), encode('state', state), { qos: 1, retain: true });
  }

  /** Connects every device, `concurrency` at a time (each CONNECT costs the broker a scrypt). */
  async connect(concurrency = 50): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < this.#devices.length) {
          const d = this.#devices[next++]!;
          await this.#connect(d).catch((e: Error) => this.#error(`connect ${d.cred.device}: ${e.message}`));
        }
      }),
    );
  }

  start(): void {
    this.#running = true;
    this.#loops = this.#devices.map((d, i) => this.#loop(d, (i * this.#o.everyMs) / this.#devices.length));
    this.#churnTimer = setInterval(() => void this.#churn(), this.#o.churn.everyMs);
  }

  async #churn(): Promise<void> {
    for (let k = 0; k < this.#o.churn.devices; k++) {
      const d = this.#devices[Math.floor(Math.random() * this.#devices.length)]!;
      const c = d.client;
      if (!c) continue;
      d.client = undefined;
      this.#ending.add(c);
      // Half leave cleanly, half just drop (the will fires).
      if (k % 2) await c.endAsync().catch(() => undefined);
      else c.stream.destroy();
      if (!this.#running) return;
      this.counts.reconnects++;
      await this.#connect(d).catch((e: Error) => this.#error(`reconnect ${d.cred.device}: ${e.message}`));
    }
  }

  /** One batch at a time; the same seqs again (a resend) until the ack says committed. */
  async #loop(d: Device, offsetMs: number): Promise<void> {
    await sleep(offsetMs);
    let lastState = Date.now();
    for (let i = 0; this.#running && i < 10_000_000; i++) {
      const seqs = Array.from({ length: this.#o.records }, (_, k) => d.seq + k);
      let committed = false;
      for (let attempt = 0; this.#running && !committed && attempt < 100; attempt++) {
        if (attempt > 0) this.counts.resends++;
        committed = await this.#send(d, seqs);
        if (!committed) await sleep(500);
      }
      if (!committed) continue;
      d.seq += this.#o.records;
      this.counts.batches++;
      this.counts.acked += seqs.length;
      if (Date.now() - lastState > this.#o.stateEveryMs) {
        this.#publishState(d);
        lastState = Date.now();
      }
      await sleep(this.#o.everyMs * (0.5 + Math.random()));
    }
  }

  async #send(d: Device, seqs: number[]): Promise<boolean> {
    const c = d.client;
    if (!c?.connected) return false;
    const batch = exampleImpressionBatch(d.cred, seqs);
    const acked = new Promise<Ack | null>((resolve) => {
      const timer = setTimeout(() => {
        this.#acks.delete(batch.batchId);
        resolve(null);
      }, this.#o.ackTimeoutMs ?? 30_000);
      this.#acks.set(batch.batchId, (a) => {
        clearTimeout(timer);
        this.#acks.delete(batch.batchId);
        resolve(a);
      });
    });
    // Plain JSON: validated once in the constructor; keeps the soak's own CPU down.
    c.publish(topicFor('impressions', d.cred), Buffer.from(JSON.stringify(batch)), { qos: 1 });
    const a = await acked;
    if (!a) return false;
    const got = a.status === 'committed' ? expandRanges(a.seqs) : [];
    if (got.length !== seqs.length || got[0] !== seqs[0]) {
      this.#error(`ack ${a.status} ${a.reason ?? ''} for ${d.cred.device}`);
      return false;
    }
    return true;
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#churnTimer);
    await Promise.all(this.#loops);
    await Promise.all(
      this.#devices.map((d) => {
        if (d.client) this.#ending.add(d.client);
        return d.client?.endAsync(true).catch(() => undefined);
      }),
    );
  }
}
