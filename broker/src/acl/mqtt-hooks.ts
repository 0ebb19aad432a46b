// The aedes authorizePublish / authorizeSubscribe hooks: apply the ACL policy, the payload size
// limits and the retain policy; count and log every refusal. CLOUD-LINK.md §3.3, §9.
import type { Client, PublishPacket, Subscription } from 'aedes';
import type { Sessions } from '../auth/sessions.js';
import { PAYLOAD_LIMITS, parse } from '../contract.js';
import type { Logger } from '../obs/log.js';
import type { BrokerMetrics } from '../obs/metrics.js';
import { decidePublish, decideSubscribe } from './policy.js';

export interface AclDeps {
  sessions: Sessions;
  metrics: BrokerMetrics;
  log: Logger;
}

export class AclError extends Error {
  override readonly name = 'AclError';
  constructor(
    readonly reason: string,
    readonly topic: string,
  ) {
    super(`${reason}: ${topic}`);
  }
}

export function aclHooks(d: AclDeps) {
  /**
   * MQTT 3.1.1 cannot refuse a PUBLISH: the server must ack it or close the connection
   * [MQTT-3.3.5-2]. An error here makes aedes close the connection, nothing is forwarded or
   * stored. A device publishing off its own topics is misconfigured or compromised.
   */
  function authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void) {
    const who = d.sessions.identityOf(client);
    if (!client || !who) return done(new AclError('no-session', packet.topic));
    const decision = decidePublish(who, packet.topic);
    if (!decision.allow) {
      d.metrics.aclDenied.inc({ action: 'publish' });
      d.log.warn({ username: who.username, topic: packet.topic, reason: decision.reason }, 'publish refused by ACL; closing connection');
      return done(new AclError(decision.reason, packet.topic));
    }
    if (packet === (client as Client & { will?: unknown }).will && d.sessions.isSuperseded(client)) {
      // The device reconnected before the old connection died: it is not offline.
      d.metrics.willsSuppressed.inc();
      return done(new AclError('superseded-will', packet.topic));
    }
    if (decision.kind === 'cmd') {
      packet.retain = false;
      return done(null);
    }
    const payload = packet.payload as Buffer;
    if (payload.length > PAYLOAD_LIMITS[decision.kind]) {
      d.metrics.payloadRejected.inc({ kind: decision.kind, reason: 'too-large' });
      d.log.warn({ username: who.username, topic: packet.topic, bytes: payload.length }, 'payload over the limit; closing connection');
      return done(new AclError('too-large', packet.topic));
    }
    // CLOUD-LINK.md §3.2: only state is retained, and only when it is valid, so a bad payload
    // never becomes what every later subscriber sees.
    if (decision.kind === 'state') {
      packet.retain = parse('state', payload).ok;
    } else {
      packet.retain = false;
    }
    done(null);
  }

  /** A refused subscription is negated: SUBACK return code 0x80 [MQTT-3.9.3-2], the connection stays. */
  function authorizeSubscribe(client: Client, sub: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void) {
    const who = d.sessions.identityOf(client);
    const decision = who ? decideSubscribe(who, sub.topic) : ({ allow: false, reason: 'no-session' } as const);
    if (!decision.allow) {
      d.metrics.aclDenied.inc({ action: 'subscribe' });
      d.log.warn({ username: who?.username, filter: sub.topic, reason: decision.reason }, 'subscription refused by ACL');
      return done(null, null);
    }
    // Everything on the link is QoS ≤ 1 (CLOUD-LINK.md §3.2).
    done(null, { ...sub, qos: Math.min(sub.qos, 1) as Subscription['qos'] });
  }

  return { authorizePublish, authorizeSubscribe };
}
