// The aedes instance a broker node runs: in-process (embedded default) or clustered over Redis
// (`cluster.redis` in the config, deploy/cloud). Clustered, mqemitter-redis routes every publish
// to the node holding the subscriber, and aedes-persistence-redis keeps subscriptions, QoS 1
// messages queued for offline persistent sessions (CLOUD-LINK.md §3.5), in-flight messages,
// retained state and manifests (§3.2, §6.5) and wills where every node sees them, so a device
// may reconnect to any node.
import type { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import AsyncRedisPersistence from 'aedes-persistence-redis/asyncPersistence.js';
import { Redis, type RedisOptions } from 'ioredis';
import MQEmitterRedis from 'mqemitter-redis';
import type { BrokerConfig } from '../config/schema.js';
import type { Logger } from '../obs/log.js';

export class ClusterError extends Error {
  override readonly name = 'ClusterError';
  constructor(
    readonly code: 'redis-unavailable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface AedesBackend {
  aedes: Aedes;
  kind: 'embedded' | 'redis';
  /** Closes the broker's clients, then the Redis connections. Idempotent. */
  close(): Promise<void>;
}

export interface BackendOptions {
  connectTimeout: number;
  log: Logger;
  /** Bound on reaching Redis at start. */
  startTimeoutMs?: number;
  /** Counts a last will dropped because the device reconnected to another node. */
  onWillSuppressed?(): void;
}

/** Two mismatches between aedes 1.2 and aedes-persistence-redis 12, both seen in test/cluster. */
class RedisPersistence extends AsyncRedisPersistence {
  readonly #storing = new WeakMap<readonly object[], Promise<void>>();

  /**
   * aedes stores a persistent session's SUBSCRIBE once per topic, each time with the packet's
   * whole list; the broadcast that confirms a store waits under a key made of the client and the
   * first topic, so with several topics only the last waiter is released and SUBACK never comes.
   * One store per list (the same array each time) avoids the collision.
   */
  override addSubscriptions(client: unknown, subs: readonly object[]): Promise<void> {
    let p = this.#storing.get(subs);
    if (!p) {
      p = super.addSubscriptions(client, subs);
      this.#storing.set(subs, p);
    }
    return p;
  }

  // aedes pipes the retained stream (`stream.pipe`); this persistence returns an async generator
  // there, so the first SUBSCRIBE with a retained match would throw. Its in-memory one returns a
  // Readable: so a Readable here too.
  override createRetainedStream(pattern: string): Readable {
    return Readable.from(super.createRetainedStreamCombi([pattern]));
  }
  override createRetainedStreamCombi(patterns: string[]): Readable {
    return Readable.from(super.createRetainedStreamCombi(patterns));
  }
}

const closeAedes = (aedes: Aedes) => new Promise<void>((r) => aedes.close(() => r()));

export async function createAedes(config: Pick<BrokerConfig, 'cluster'>, o: BackendOptions): Promise<AedesBackend> {
  const base: AedesOptions = { connectTimeout: o.connectTimeout };
  if (!config.cluster) {
    const aedes = await Aedes.createBroker(base);
    return { aedes, kind: 'embedded', close: () => closeAedes(aedes) };
  }
  const log = o.log.child({ component: 'cluster' });
  const url = config.cluster.redis.url;
  // Bounded reconnects with a capped delay; commands wait out a short Redis restart, then fail
  // (a failed publish is a failed batch: no ack, the device resends).
  const redisOptions: RedisOptions = {
    connectTimeout: 10_000,
    maxRetriesPerRequest: 20,
    retryStrategy: (n) => Math.min(100 * 2 ** Math.min(n, 5), 2000),
  };
  const conns = [new Redis(url, redisOptions), new Redis(url, redisOptions), new Redis(url, redisOptions)] as const;
  let lastLogged = 0;
  for (const c of conns) {
    c.on('error', (err: Error) => {
      // A Redis outage repeats the same error per retry: log it at most once a second.
      if (Date.now() - lastLogged < 1000) return;
      lastLogged = Date.now();
      log.warn({ err: err.message }, 'redis connection error');
    });
  }
  const [db, pubConn, subConn] = conns;
  const mq = MQEmitterRedis({ pubConn, subConn });
  // mqemitter-redis re-emits connection errors on `state`; an EventEmitter 'error' without a
  // listener would throw and take the node down.
  (mq as unknown as { state: EventEmitter }).state.on('error', () => {});
  const persistence = new RedisPersistence({ conn: db });
  let aedesRef: Aedes | undefined;
  // A device that reconnected to another node is not offline (CLOUD-LINK.md §3.4). aedes closes
  // the old connection when the new one is announced on $SYS/<node>/new/clients, and would then
  // publish its will: the node's own takeover check knows only its own connections. Registered
  // before aedes registers its handler, so it runs first: the old connection is marked as cleanly
  // disconnected, which drops its will, and its stored copy, the way a DISCONNECT does.
  mq.on('$SYS/+/new/clients', (packet, done) => {
    const from = packet.topic.split('/')[1];
    const clients = (aedesRef as unknown as { clients?: Record<string, Client & { will?: unknown; _disconnected?: boolean }> } | undefined)?.clients;
    const old = clients?.[String(packet.payload)];
    if (aedesRef && old && from !== aedesRef.id && old.will) {
      old._disconnected = true;
      o.onWillSuppressed?.();
      log.info({ clientId: old.id, to: from }, 'connection taken over on another node; will suppressed');
    }
    done();
  });
  const disconnect = () => {
    for (const c of conns) c.disconnect();
  };
  let aedes: Aedes;
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${o.startTimeoutMs ?? 15_000} ms`)), o.startTimeoutMs ?? 15_000);
    });
    aedes = await Promise.race([Aedes.createBroker({ ...base, mq, persistence }), deadline]);
    aedesRef = aedes;
    // aedes emits 'error' when a Redis call behind its timers fails (the will sweep every four
    // heartbeats, offline queueing); unheard, an EventEmitter 'error' would end the process.
    (aedes as unknown as EventEmitter).on('error', (err: Error) => log.warn({ err: err.message }, 'aedes persistence error'));
  } catch (err) {
    disconnect();
    throw new ClusterError('redis-unavailable', `redis at ${redact(url)}: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
  log.info({ redis: redact(url), brokerId: aedes.id }, 'clustered over redis');
  let closing: Promise<void> | undefined;
  return {
    aedes,
    kind: 'redis',
    close() {
      closing ??= (async () => {
        // aedes.close ends the clients and the emitter; the persistence goes last, as the
        // clients' disconnects still write to it. QUIT, not a hard disconnect, so commands still
        // in flight (some are fired without a handler) get their replies instead of rejections.
        await closeAedes(aedes);
        await Promise.race([db.quit().catch(() => {}), new Promise((r) => setTimeout(r, 2000).unref())]);
        await persistence.destroy().catch((err: Error) => log.debug({ err: err.message }, 'redis persistence close'));
        disconnect();
      })();
      return closing;
    },
  };
}

/** The URL without its password, for logs. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable url)';
  }
}
