// Door event → pseudonym → durable row → dwell window. This is `deliver` for every source:
// synchronous, so a source acks exactly what is committed (DESIGN.md rule 2), and it never
// throws, so no failure here can reach a door (rule 1).
import type { Clock } from '../clock/clock.js';
import type { DwellTracker } from '../door/dwell.js';
import type { Deliver, Delivery, SourceEvent } from '../door/event.js';
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
  /** Runs fn in one transaction, durable when it returns; throws if the commit fails. */
  transaction<T>(fn: () => T): T;
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

export function createDeliver(d: PipelineDeps): Deliver {
  const failures = metric(d.registry, 'doorcast_store_write_failures_total', (registers) => new Counter({ name: 'doorcast_store_write_failures_total', help: 'Door events that could not be stored (not acked; the controller retries)', labelNames: ['reason'], registers }));
  const log = d.log.child({ part: 'ingest' });

  const toRow = (e: SourceEvent): DoorEventRow => {
    const stamp = d.clock.stamp();
    const pseudonym = e.kind === 'unlock' ? pseudonymise(d.key, e.credential) : null;
    return {
      controllerId: e.controllerId,
      seq: e.seq,
      source: e.source,
      door: d.doorId(e.source, e.door),
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
  };

  const failed = (err: unknown, events: SourceEvent[]): Delivery[] => {
    const reason = (err as { code?: string }).code ?? 'error';
    failures.inc({ reason }, events.length);
    log.error({ reason, err: (err as Error).message, events: events.length, firstSeq: events[0]?.seq }, 'door events not stored; the controller will retry');
    return events.map(() => 'failed');
  };

  // Only a first delivery moves the screen; a retransmission is old news.
  const afterCommit = (e: SourceEvent, row: DoorEventRow, outcome: 'stored' | 'duplicate') => {
    if (outcome !== 'stored') return;
    try {
      if (e.kind === 'unlock' && e.granted) d.dwell.unlock(row.door, row.wallTimeMs, e.method, row.pseudonym);
      else if (e.kind === 'door-state') d.dwell.doorState(row.door, e.state, row.wallTimeMs);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'dwell tracking failed; event is stored');
    }
  };

  const batch = (events: SourceEvent[]): Delivery[] => {
    const rows = events.map(toRow);
    let outcomes: ('stored' | 'duplicate')[];
    try {
      outcomes = d.store.transaction(() => rows.map((r) => d.store.insertDoorEvent(r)));
    } catch (err) {
      return failed(err, events);
    }
    for (const [i, e] of events.entries()) afterCommit(e, rows[i]!, outcomes[i]!);
    return outcomes;
  };

  return Object.assign((e: SourceEvent): Delivery => batch([e])[0]!, { batch });
}
