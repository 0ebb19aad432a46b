// mapping.ts: which controller records become which door events.
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type UhppoteEvent } from './codec.js';
import { toSourceEvent } from './mapping.js';

const rec = (o: Partial<UhppoteEvent>): UhppoteEvent => ({
  fn: 0x20,
  serial: 405419896,
  index: 78,
  type: EVENT_TYPES.swipe,
  granted: true,
  door: 3,
  direction: 1,
  card: 6154413,
  time: { year: 2026, month: 11, day: 23, hour: 7, minute: 42, second: 13 },
  reason: 1,
  ...o,
});

describe('toSourceEvent', () => {
  it('a swipe is a card unlock carrying the card number as text, keyed uhppote:<serial> + index', () => {
    expect(toSourceEvent(rec({}), 'gate', 'Asia/Shanghai')).toEqual({
      kind: 'unlock',
      source: 'gate',
      controllerId: 'uhppote:405419896',
      seq: 78,
      door: 3,
      controllerTime: Date.parse('2026-11-22T23:42:13Z'),
      method: 'card',
      granted: true,
      reason: 1,
      credential: new TextEncoder().encode('6154413'),
    });
  });

  it.each([
    ['denied swipe (no privilege)', { granted: false, reason: 6 }, { kind: 'unlock', method: 'card', granted: false, reason: 6 }],
    ['granted swipe logged as type 2 (uhppoted simulator)', { type: 2, reason: 1 }, { kind: 'unlock', method: 'card', granted: true }],
    ['push button', { type: 2, card: 0, reason: 20 }, { kind: 'unlock', method: 'exit-button', granted: true, reason: 20, credential: new Uint8Array(0) }],
    ['push button refused: forced lock', { type: 3, card: 0, granted: false, reason: 31 }, { kind: 'unlock', method: 'exit-button', granted: false }],
    ['super password', { type: 2, card: 0, reason: 25 }, { kind: 'unlock', method: 'pin', granted: true }],
    ['remote open', { type: 2, card: 0, reason: 44 }, { kind: 'unlock', method: 'remote', granted: true }],
    ['door open', { type: 2, card: 0, reason: 23 }, { kind: 'door-state', state: 'opened', door: 3 }],
    ['door closed', { type: 2, card: 0, reason: 24 }, { kind: 'door-state', state: 'closed' }],
    ['open too long', { type: 3, card: 0, reason: 37 }, { kind: 'door-state', state: 'held-open' }],
    ['forced open, clock unset', { type: 3, card: 0, reason: 38, time: null }, { kind: 'door-state', state: 'forced-open', controllerTime: 0 }],
  ] as const)('%s', (_name, o, expected) => {
    expect(toSourceEvent(rec(o), 's', 'UTC')).toMatchObject(expected);
  });

  it.each([
    ['no record (index 0)', { index: 0 }],
    ['type none', { type: 0 }],
    ['overwritten', { type: 0xff }],
    ['power on', { type: 3, card: 0, reason: 28 }],
    ['fire alarm', { type: 3, card: 0, reason: 39 }],
    ['unknown type', { type: 7 }],
    ['door record with a reserved reason', { type: 2, card: 0, reason: 21 }],
  ] as const)('skips %s', (_name, o) => {
    expect(toSourceEvent(rec(o), 's', 'UTC')).toBeNull();
  });

  it('a swipe with card 0 carries no credential', () => {
    expect(toSourceEvent(rec({ card: 0 }), 's', 'UTC')).toMatchObject({ method: 'card', credential: new Uint8Array(0) });
  });
});
