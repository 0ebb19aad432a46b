// What a UT0311 event means to the agent. Pure. Honest mappings only: events we cannot place
// (alarms, power-on, resets) are not door events and are counted as skipped.
import type { DoorState, Method } from '@doorcast/firmware-protocol';
import type { SourceEvent } from '../event.js';
import { EVENT_TYPES, localToEpochMs, type UhppoteEvent } from './codec.js';

const DOOR_REASONS: Record<number, { kind: 'unlock'; method: Method } | { kind: 'door-state'; state: DoorState }> = {
  20: { kind: 'unlock', method: 'exit-button' }, // push button
  23: { kind: 'door-state', state: 'opened' },
  24: { kind: 'door-state', state: 'closed' },
  25: { kind: 'unlock', method: 'pin' }, // super password
  44: { kind: 'unlock', method: 'remote' }, // remote open door
  45: { kind: 'unlock', method: 'remote' }, // remote open by USB reader
};
const WARNING_REASONS: Record<number, DoorState> = { 37: 'held-open', 38: 'forced-open' };

/**
 * The card number travels as its decimal text (how cards are printed and enrolled), so the
 * pseudonym is the same whichever controller of this site reads the card. Never logged.
 */
export function cardCredential(card: number): Uint8Array {
  return Buffer.from(String(card), 'utf8');
}

export function toSourceEvent(e: UhppoteEvent, source: string, timeZone: string): SourceEvent | null {
  if (e.index === 0 || e.type === EVENT_TYPES.none || e.type === EVENT_TYPES.overwritten) return null;
  const base = { source, controllerId: `uhppote:${e.serial}`, seq: e.index, door: e.door, controllerTime: localToEpochMs(e.time, timeZone) };
  if (e.type === EVENT_TYPES.swipe) {
    return { ...base, kind: 'unlock', method: 'card', granted: e.granted, reason: e.reason, credential: cardCredential(e.card) };
  }
  if (e.type === EVENT_TYPES.door) {
    const m = DOOR_REASONS[e.reason];
    if (!m) return null;
    return m.kind === 'unlock' ? { ...base, kind: 'unlock', method: m.method, granted: e.granted || m.method !== 'pin', reason: e.reason, credential: new Uint8Array(0) } : { ...base, kind: 'door-state', state: m.state };
  }
  if (e.type === EVENT_TYPES.warning) {
    const state = WARNING_REASONS[e.reason];
    return state ? { ...base, kind: 'door-state', state } : null;
  }
  return null;
}
