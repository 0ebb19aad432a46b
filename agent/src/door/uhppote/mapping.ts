// What a controller event record means to the agent (README.md "Mapping"). Pure. Only honest
// mappings: records we cannot place as a door event (power-on, fire, threat, …) give null and
// the listener counts them as skipped.
import type { DoorState, Method } from '@doorcast/firmware-protocol';
import type { SourceEvent } from '../event.js';
import { localToEpochMs } from './bcd-time.js';
import { EVENT_TYPES, type UhppoteEvent } from './codec.js';

/** Reason codes of a card swipe: 1 pass; 5–13, 15, 18 denied for a stated cause. */
const SWIPE_REASONS = new Set([1, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 18]);

type Meaning = { kind: 'unlock'; method: Method; granted: boolean } | { kind: 'door-state'; state: DoorState };

/** Reason codes of door (type 2) and warning (type 3) records that describe a door. */
const DOOR_REASONS: Readonly<Record<number, Meaning>> = {
  20: { kind: 'unlock', method: 'exit-button', granted: true }, // push button
  23: { kind: 'door-state', state: 'opened' }, // door open (contact)
  24: { kind: 'door-state', state: 'closed' }, // door closed (contact)
  25: { kind: 'unlock', method: 'pin', granted: true }, // super password open door
  31: { kind: 'unlock', method: 'exit-button', granted: false }, // push button invalid: forced lock
  32: { kind: 'unlock', method: 'exit-button', granted: false }, // push button invalid: not on line
  33: { kind: 'unlock', method: 'exit-button', granted: false }, // push button invalid: interlock
  37: { kind: 'door-state', state: 'held-open' }, // open too long
  38: { kind: 'door-state', state: 'forced-open' }, // forced open
  44: { kind: 'unlock', method: 'remote', granted: true }, // remote open door
  45: { kind: 'unlock', method: 'remote', granted: true }, // remote open door by USB reader
};

/**
 * The card number travels as its decimal text, the form printed on cards and typed at
 * enrolment. Raw credential: the pipeline pseudonymises it; never log it.
 */
export function cardCredential(card: number): Uint8Array {
  return card === 0 ? new Uint8Array(0) : new TextEncoder().encode(String(card));
}

/** `uhppote:<serial>`, the dedupe identity with the event index as seq. */
export function controllerId(serial: number): string {
  return `uhppote:${serial}`;
}

export function toSourceEvent(e: UhppoteEvent, source: string, timeZone: string): SourceEvent | null {
  if (e.index === 0 || e.type === EVENT_TYPES.none || e.type === EVENT_TYPES.overwritten) return null;
  const base = { source, controllerId: controllerId(e.serial), seq: e.index, door: e.door, controllerTime: localToEpochMs(e.time, timeZone) };
  // A card swipe is type 1; the uhppoted simulator also logs granted swipes as type 2 reason 1,
  // so a type 2 record with a swipe reason and a card is read as a swipe too.
  const swipe = e.type === EVENT_TYPES.swipe || (e.type === EVENT_TYPES.door && SWIPE_REASONS.has(e.reason) && e.card !== 0);
  if (swipe) return { ...base, kind: 'unlock', method: 'card', granted: e.granted, reason: e.reason, credential: cardCredential(e.card) };
  if (e.type !== EVENT_TYPES.door && e.type !== EVENT_TYPES.warning) return null;
  const m = DOOR_REASONS[e.reason];
  if (!m) return null;
  // The reason code states the outcome ("push button" opened, "push button invalid" did not).
  if (m.kind === 'unlock') return { ...base, kind: 'unlock', method: m.method, granted: m.granted, reason: e.reason, credential: new Uint8Array(0) };
  return { ...base, kind: 'door-state', state: m.state };
}
