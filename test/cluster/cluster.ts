// A broker cluster in one test process: private Redis and PostgreSQL (test/support), N broker
// nodes in clustered mode, each with a state dir of its own, as on separate hosts (everything
// they share is in Redis and PostgreSQL), and a TCP proxy in front (test/chaos/proxy.ts)
// standing in for the load balancer: its address is the MQTT URL every credential bundle names.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll } from 'vitest';
import { type CredentialBundle, type PayloadTypes, parse, type TopicKind } from '../../broker/src/contract.js';
import type { RunningBroker } from '../../broker/src/server/broker.js';
import { startTestBroker } from '../../broker/src/testing.js';
import { ChaosProxy } from '../chaos/proxy.js';
import { type PostgresService, startPostgres } from '../support/postgres.js';
import { type RedisService, startRedis } from '../support/redis.js';

export interface Cluster {
  redis: RedisService;
  pg: PostgresService;
  pgUrl: string;
  /** Parent of the nodes' own state dirs (node i: <dir>/node-i). */
  dir: string;
  /** The balancer. */
  lb: ChaosProxy;
  /** The balancer's MQTT URL. */
  url: string;
  nodes: RunningBroker[];
  /** New connections through the balancer go to this node; open ones stay. */
  route(node: RunningBroker): void;
  /** Starts one more node on the shared services. */
  addNode(): Promise<RunningBroker>;
  destroy(): Promise<void>;
}

export async function startCluster(count: number): Promise<Cluster> {
  // Nowhere until route(): no node is up yet.
  const [redis, pg, lb] = await Promise.all([startRedis(), startPostgres(), ChaosProxy.start({ port: 1 })]);
  const url = lb.url();
  const dir = mkdtempSync(join(tmpdir(), 'doorcast-cluster-'));
  const pgUrl = await pg.createDatabase('doorcast');
  const nodes: RunningBroker[] = [];
  let started = 0;
  const addNode = async () => {
    const node = await startTestBroker({
      stateDir: join(dir, `node-${started++}`),
      cluster: { redis: { url: redis.url } },
      store: { kind: 'postgres', url: pgUrl, poolMax: 4 },
      publicUrls: { mqtt: url },
      // Only explicit refreshes publish manifests, so a test knows which node published one.
      manifest: { refreshIntervalMs: 600_000 },
    });
    nodes.push(node);
    return node;
  };
  const destroy = async () => {
    await lb.close();
    for (const n of nodes.splice(0)) await n.stop();
    await Promise.allSettled([redis.destroy(), pg.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // At once, as a rolling deploy may: one of them creates the signing key, all load that one.
    await Promise.all(Array.from({ length: count }, () => addNode()));
  } catch (err) {
    await destroy();
    throw err;
  }
  const route = (node: RunningBroker) => lb.apply({ kind: 'target', target: { port: node.mqttPort! } });
  return { redis, pg, pgUrl, dir, lb, url, nodes, route, addNode, destroy };
}

/** A cluster of `count` nodes for one test file: started before its tests, destroyed after. */
export function useCluster(count: number): () => Cluster {
  let c: Cluster | undefined;
  beforeAll(async () => {
    c = await startCluster(count);
  }, 60_000);
  afterAll(async () => {
    await c?.destroy();
  }, 60_000);
  return () => {
    if (!c) throw new Error('cluster not started');
    return c;
  };
}

/** Parses a cloud-link payload or throws with the schema's reason (CLOUD-LINK.md §4.2). */
export function read<K extends TopicKind>(kind: K, payload: Uint8Array): PayloadTypes[K] {
  const r = parse(kind, payload);
  if (!r.ok) throw new Error(`${kind}: ${r.reason} at ${r.path}: ${r.message}`);
  return r.value;
}

/** `p`, or a rejection naming `what` after `ms` (mqtt.js waits for a PUBACK or SUBACK forever). */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Received {
  topic: string;
  payload: Buffer;
}

/**
 * Connects like connectWith (MQTT 3.1.1, no reconnect) but records messages from the first
 * packet on: a resumed session's queue can arrive in the same read as the CONNACK, before an
 * awaited connect would let a handler be attached.
 */
export function connectRecording(url: string, bundle: Pick<CredentialBundle, 'username' | 'password' | 'clientId'>, extra: IClientOptions = {}): Promise<{ client: MqttClient; got: Received[] }> {
  const got: Received[] = [];
  const client = connect(url, { protocolVersion: 4, clientId: bundle.clientId, username: bundle.username, password: bundle.password, reconnectPeriod: 0, connectTimeout: 5000, ...extra });
  client.on('message', (topic, payload) => got.push({ topic, payload }));
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve({ client, got }));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}
