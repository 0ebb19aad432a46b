// The agent's MQTT session with the cloud (CLOUD-LINK.md §3): persistent session under the
// provisioned client id, our own reconnect with exponential backoff and jitter, retained
// state with an "offline" last will, and the down topics routed to uplink, manifest and
// commands. Every payload from the cloud is validated; a bad one is counted and dropped.
import { readFileSync } from 'node:fs';
import {
  type Command,
  type CredentialBundle,
  type DeviceRef,
  deviceSubscriptions,
  encode,
  OFFLINE_WILL_PAYLOAD,
  type OnlineStateSchema,
  parse,
  parseTopic,
  topicFor,
} from '@doorcast/firmware-protocol/cloud';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { z } from 'zod';
import { Backoff } from '../link/backoff.js';
import type { Logger } from '../obs/log.js';
import { Counter, Gauge, metric, type Registry } from '../obs/metrics.js';
import type { ManifestSync } from './manifest-sync.js';
import type { Uplink } from './uplink.js';

export interface CloudLinkOptions {
  bundle: CredentialBundle & DeviceRef;
  /** One per outbox (impressions, door counts); acks are routed by their kind. */
  uplinks: Uplink[];
  manifests: ManifestSync;
  /** The state payload's live figures. */
  state(): Pick<z.infer<typeof OnlineStateSchema>, 'agentVersion' | 'outboxDepth' | 'oldestUnsyncedAgeS' | 'bootId'>;
  log: Logger;
  registry: Registry;
  protocolVersion?: 4 | 5;
  /** PEM CA bundle for mqtts:// and wss:// (server verification is always on). */
  caFile?: string;
  flushIntervalMs?: number;
  stateIntervalMs?: number;
  backoff?: { baseMs: number; capMs: number };
  /** An update command from the cloud (absent: updates are refused and logged). */
  onUpdate?(release: NonNullable<Command['release']>): void;
}

export class CloudLink {
  readonly #o: CloudLinkOptions;
  readonly #backoff: Backoff;
  readonly #m;
  #client: MqttClient | undefined;
  #timers: NodeJS.Timeout[] = [];
  #reconnectTimer: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(o: CloudLinkOptions) {
    this.#o = o;
    this.#backoff = new Backoff({ baseMs: o.backoff?.baseMs ?? 1000, capMs: o.backoff?.capMs ?? 60_000, floorMs: Math.min(250, o.backoff?.baseMs ?? 250) });
    const r = o.registry;
    this.#m = {
      up: metric(r, 'doorcast_cloud_connected', (registers) => new Gauge({ name: 'doorcast_cloud_connected', help: '1 while the MQTT session is up', registers })),
      reconnects: metric(r, 'doorcast_cloud_reconnects_total', (registers) => new Counter({ name: 'doorcast_cloud_reconnects_total', help: 'MQTT reconnect attempts', registers })),
      bad: metric(r, 'doorcast_cloud_payload_rejected_total', (registers) => new Counter({ name: 'doorcast_cloud_payload_rejected_total', help: 'Payloads from the cloud refused, by topic kind and reason', labelNames: ['kind', 'reason'], registers })),
      commands: metric(r, 'doorcast_cloud_commands_total', (registers) => new Counter({ name: 'doorcast_cloud_commands_total', help: 'Commands run, by name', labelNames: ['name'], registers })),
    };
  }

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  start(): void {
    const o = this.#o;
    const b = o.bundle;
    const opts: IClientOptions = {
      clientId: b.clientId,
      username: b.username,
      password: b.password,
      clean: false,
      protocolVersion: o.protocolVersion ?? 4,
      ...(o.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 7 * 24 * 3600 } } : {}),
      keepalive: 30,
      connectTimeout: 10_000,
      reconnectPeriod: 0,
      resubscribe: false,
      will: { topic: topicFor('state', b), payload: Buffer.from(OFFLINE_WILL_PAYLOAD), qos: 1, retain: true },
      rejectUnauthorized: true,
      ...(o.caFile ? { ca: readFileSync(o.caFile) } : {}),
    };
    const client = connect(b.brokerUrl, opts);
    this.#client = client;
    client.on('connect', () => {
      this.#backoff.reset();
      this.#m.up.set(1);
      o.log.info({ broker: b.brokerUrl, clientId: b.clientId }, 'cloud link up');
      client.subscribe(deviceSubscriptions(b), { qos: 1 }, (err) => {
        if (err) o.log.warn({ err: err.message }, 'subscribe failed');
      });
      this.publishState();
      for (const u of o.uplinks) u.connected();
    });
    client.on('close', () => {
      if (this.#m.up) this.#m.up.set(0);
      for (const u of o.uplinks) u.disconnected();
      if (this.#stopping) return;
      const delay = this.#backoff.next();
      this.#m.reconnects.inc();
      o.log.warn({ retryInMs: delay, attempt: this.#backoff.attempts }, 'cloud link down; reconnecting');
      clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = setTimeout(() => {
        if (!this.#stopping) client.reconnect();
      }, delay);
    });
    client.on('error', (err) => o.log.warn({ err: err.message }, 'cloud link error'));
    client.on('message', (topic, payload) => this.#route(topic, payload));
    this.#timers.push(setInterval(() => this.pump(), o.flushIntervalMs ?? 1000));
    this.#timers.push(setInterval(() => this.publishState(), o.stateIntervalMs ?? 60_000));
    for (const t of this.#timers) t.unref();
  }

  pump(): void {
    for (const u of this.#o.uplinks) u.pump();
  }

  publishState(): void {
    const c = this.#client;
    if (!c?.connected) return;
    let payload: Buffer;
    try {
      payload = encode('state', { online: true, ...this.#o.state(), manifestVersion: this.#o.manifests.version, ts: new Date().toISOString() });
    } catch (err) {
      this.#o.log.error({ err: (err as Error).message }, 'cannot build the state message');
      return;
    }
    c.publish(topicFor('state', this.#o.bundle), payload, { qos: 1, retain: true });
  }

  /** QoS 1 publish; resolves on PUBACK. */
  publish(topic: string, payload: Buffer): Promise<void> {
    const c = this.#client;
    if (!c?.connected) return Promise.reject(new Error('cloud link is down'));
    return new Promise((resolve, reject) => c.publish(topic, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  }

  /** Says "offline" (retained) on a clean stop, then closes; bounded so shutdown never hangs. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    clearTimeout(this.#reconnectTimer);
    const c = this.#client;
    if (!c) return;
    if (c.connected) {
      await Promise.race([
        new Promise<void>((r) => c.publish(topicFor('state', this.#o.bundle), Buffer.from(OFFLINE_WILL_PAYLOAD), { qos: 1, retain: true }, () => r())),
        new Promise<void>((r) => setTimeout(r, 1000).unref()),
      ]);
    }
    await new Promise<void>((r) => c.end(true, {}, () => r()));
    this.#m.up.set(0);
  }

  #route(topic: string, payload: Buffer): void {
    const t = parseTopic(topic);
    const own = t && t.site === this.#o.bundle.site && t.device === this.#o.bundle.device;
    if (!t || !own) {
      this.#m.bad.inc({ kind: 'unknown', reason: 'topic' });
      return;
    }
    if (t.kind === 'manifest') {
      // The fleet view shows the version a box runs: say so at once, not at the next interval.
      if (this.#o.manifests.receive(payload).status === 'applied') this.publishState();
      return;
    }
    if (t.kind !== 'ack' && t.kind !== 'cmd') return;
    const r = parse(t.kind, payload);
    if (!r.ok) {
      this.#m.bad.inc({ kind: t.kind, reason: r.reason });
      this.#o.log.warn({ kind: t.kind, reason: r.reason, path: r.path, message: r.message }, 'payload from the cloud rejected');
      return;
    }
    if (t.kind === 'ack') for (const u of this.#o.uplinks) u.onAck(r.value as Parameters<Uplink['onAck']>[0]);
    else this.#command(r.value as Command);
  }

  #command(c: Command): void {
    if (c.expiresAt && Date.parse(c.expiresAt) < Date.now()) {
      this.#o.log.info({ cmdId: c.cmdId, name: c.name }, 'expired command ignored');
      return;
    }
    this.#m.commands.inc({ name: c.name });
    switch (c.name) {
      case 'publish-state':
        this.publishState();
        break;
      case 'flush-outbox':
        this.pump();
        break;
      case 'resync-manifest':
        // The broker re-sends the retained manifest on a fresh subscription.
        this.#client?.unsubscribe(topicFor('manifest', this.#o.bundle), () => this.#client?.subscribe(topicFor('manifest', this.#o.bundle), { qos: 1 }));
        break;
      case 'update':
        if (c.release && this.#o.onUpdate) this.#o.onUpdate(c.release);
        else this.#o.log.warn({ cmdId: c.cmdId }, 'update command ignored: updates are not enabled on this box');
        break;
      default:
        c.name satisfies never;
    }
  }
}
