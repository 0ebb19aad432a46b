// What a door-event source hands to the agent. Raw credentials exist only here, for the
// moment between arrival and pseudonymisation (identity/pseudonymise.ts); the pipeline
// wipes them after use, and nothing else may keep, log or serialise them.
import type { DoorState, Method } from '@doorcast/firmware-protocol';

interface SourceEventBase {
  /** Configured source name, e.g. "main-serial". */
  source: string;
  /** Stable identity of the controller that produced it (doorlink controllerId, UDP serial, "gpio:<chip>"). */
  controllerId: string;
  /** Controller event sequence number, or null when the source has none (GPIO). Dedupe key with controllerId. */
  seq: number | null;
  /** Door number as the controller numbers it (1-based). */
  door: number;
  /** Controller clock in Unix ms; 0 when the controller does not know the time. */
  controllerTime: number;
}

export interface SourceUnlock extends SourceEventBase {
  kind: 'unlock';
  method: Method;
  granted: boolean;
  reason: number;
  /** Raw credential bytes; empty when the method carries none. Never persist. */
  credential: Uint8Array;
}

export interface SourceDoorState extends SourceEventBase {
  kind: 'door-state';
  state: DoorState;
}

export type SourceEvent = SourceUnlock | SourceDoorState;

/**
 * The outcome of handing one event to the agent, decided synchronously:
 * - stored: durable in SQLite now; the source may ack it to the controller.
 * - duplicate: already stored earlier; ack again.
 * - failed: not stored (disk full, database gone); do not ack, the controller retries.
 */
export type Delivery = 'stored' | 'duplicate' | 'failed';
/**
 * Hands one event over. `batch`, when present, stores several in one durable transaction
 * (group commit: one fsync for a burst, each event acked only after it).
 */
export type Deliver = ((event: SourceEvent) => Delivery) & { batch?: (events: SourceEvent[]) => Delivery[] };
