// Door event → pseudonym → durable row → dwell window. This is `deliver` for every source:
// synchronous, so a source acks exactly what is committed (DESIGN.md rule 2), and it never
// throws, so no failure here can reach a door (rule 1).
import type { Clock } from '../clock/clock.js';
import type { DwellTracker } from '../door/dwell.js';
import type { Delivery, SourceEvent } from '../door/event.js';
import type { SiteKey } from '../identity/keys.js';
import { pseudonymise } from '../identity/pseudonymise.js';
import type { Logger } from '../obs/log.js';
import { Counter, metric, type Registry } from '../obs/metrics.js';

/** One door event as stored: no raw credential, ever. */
export interface DoorEventRow {
  controllerId: string;
  seq: number | null;
  source: string;
  door: string;
  kind: 'unlock' | 'door-state';
  method: string | null;
  granted: boolean | null;
  reason: number | null;
  state: string | null;
  pseudonym: string | null;
  keyId: string | null;
  controllerTimeMs: number;
  wallTimeMs: number;
  bootId: string;
  monoMs: number;
  clockSynced: boolean;
}

export interface DoorEventSink {
  /** Durable when it returns; throws when it cannot store (disk full, closed). */
  insertDoorEvent(row: DoorEventRow): 'stored' | 'duplicate';
}

export interface PipelineDeps {
  store: DoorEventSink;
  key: SiteKey;
  clock: Clock;
  dwell: DwellTracker;
  /** (source name, controller door number) → configured door id. */
  doorId: (source: string, controllerDoor: number) => string;
  log: Logger;
  registry: Registry;
}

export function createDeliver(d: PipelineDeps): (e: SourceEvent) => Delivery {
  const failures = metric(d.registry, 'doorcast_store_write_failures_total', (registers) => new Counter({ name: 'doorcast_store_write_failures_total', help: 'Door events that could not be stored (not acked; the controller retries)', labelNames: ['reason'], registers }));
  const log = d.log.child({ part: 'ingest' });
  return (e) => {
    const stamp = d.clock.stamp();
    const door = d.doorId(e.source, e.door);
    const pseudonym = e.kind === 'unlock' ? pseudonymise(d.key, e.credential) : null;
    const row: DoorEventRow = {
      controllerId: e.controllerId,
      seq: e.seq,
      source: e.source,
      door,
      kind: e.kind,
      method: e.kind === 'unlock' ? e.method : null,
      granted: e.kind === 'unlock' ? e.granted : null,
      reason: e.kind === 'unlock' ? e.reason : null,
      state: e.kind === 'door-state' ? e.state : null,
      pseudonym,
      keyId: pseudonym ? d.key.id : null,
      controllerTimeMs: e.controllerTime,
      wallTimeMs: stamp.wallMs,
      bootId: stamp.bootId,
      monoMs: stamp.monoMs,
      clockSynced: stamp.clockSynced,
    };
    let outcome: 'stored' | 'duplicate';
    try {
      outcome = d.store.insertDoorEvent(row);
    } catch (err) {
      const reason = (err as { code?: string }).code ?? 'error';
      failures.inc({ reason });
      log.error({ reason, err: (err as Error).message, controllerId: e.controllerId, seq: e.seq }, 'door event not stored; the controller will retry');
      return 'failed';
    }
    // Only a first delivery moves the screen; a retransmission is old news.
    if (outcome === 'stored') {
      try {
        if (e.kind === 'unlock' && e.granted) d.dwell.unlock(door, stamp.wallMs, e.method, pseudonym);
        else if (e.kind === 'door-state') d.dwell.doorState(door, e.state, stamp.wallMs);
      } catch (err) {
        log.error({ err: (err as Error).message }, 'dwell tracking failed; event is stored');
      }
    }
    return outcome;
  };
}
