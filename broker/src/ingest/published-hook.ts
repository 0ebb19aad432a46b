// The aedes `published` hook: what the cloud does with a device's up messages once they have
// passed the ACL. The hook resolves after the work, so a busy store slows the sender down
// (aedes reads the next packet only then) instead of queueing without bound.
import type { AedesPublishPacket, Client } from 'aedes';
import type { Sessions } from '../auth/sessions.js';
import { parse, parseTopic } from '../contract.js';
import type { Logger } from '../obs/log.js';
import type { BrokerMetrics } from '../obs/metrics.js';
import type { FleetRegistry } from '../registry/fleet.js';
import type { LastSeen } from '../registry/last-seen.js';
import type { Ingestor } from './ingestor.js';

export interface PublishedDeps {
  sessions: Sessions;
  ingestor: Ingestor;
  fleet: FleetRegistry;
  lastSeen: Pick<LastSeen, 'mark'>;
  metrics: BrokerMetrics;
  log: Logger;
  /** Keeps track of work in flight so stop() can wait for it. */
  track<T>(p: Promise<T>): Promise<T>;
}

export function publishedHook(d: PublishedDeps) {
  return (packet: AedesPublishPacket, client: Client | null, done: (error?: Error | null) => void) => {
    const who = d.sessions.identityOf(client);
    const t = parseTopic(packet.topic);
    if (who?.kind !== 'device' || !t) return done(null);
    const ref = { site: who.site, device: who.device };
    const payload = packet.payload as Buffer;
    switch (t.kind) {
      case 'impressions':
      case 'door-counts':
        // Last seen is bookkeeping, written in batches: the batch does not wait for it, nor fail with it.
        d.lastSeen.mark(ref);
        d.track(d.ingestor.ingest(t.kind, ref, payload)).then(
          () => done(null),
          (err: Error) => {
            d.log.error({ err, ...ref }, 'ingest failed unexpectedly');
            done(null);
          },
        );
        return;
      case 'state': {
        const s = parse('state', payload);
        if (!s.ok) {
          d.metrics.payloadRejected.inc({ kind: 'state', reason: s.reason });
          d.log.warn({ ...ref, reason: s.reason, path: s.path, message: s.message }, 'state rejected');
          return done(null);
        }
        d.track(d.fleet.applyState(ref, s.value)).then(
          () => done(null),
          (err: Error) => {
            d.log.error({ err: err.message, ...ref }, 'state not recorded');
            done(null);
          },
        );
        return;
      }
      case 'ack':
      case 'manifest':
      case 'cmd':
        // Never from a device: the ACL refuses these before they get here.
        return done(null);
    }
  };
}
