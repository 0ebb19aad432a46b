// The 64-byte UDP messages of UT0311-L0x ("UHPPOTE") controllers that carry an event record:
// the event pushed to a listener (function 0x20) and the get-event reply (0xb0), plus the
// get-event request. Offsets and their sources: README.md "Packet layout". Pure.
import { BCD_TIME_BYTES, decodeBcdTime, encodeBcdTime, isBcd, type LocalTime } from './bcd-time.js';

export const PACKET_BYTES = 64;
/** Start of message. Firmware v6.62 starts pushed events (only those) with 0x19. */
export const SOM = 0x17;
export const SOM_V662 = 0x19;
export const FN_EVENT = 0x20;
export const FN_GET_EVENT = 0xb0;

export const OFFSET = { som: 0, fn: 1, serial: 4, index: 8, type: 12, granted: 13, door: 14, direction: 15, card: 16, time: 20, reason: 27 } as const;

/** Event record types (byte 12). */
export const EVENT_TYPES = { none: 0x00, swipe: 0x01, door: 0x02, warning: 0x03, overwritten: 0xff } as const;

export interface UhppoteEvent {
  fn: typeof FN_EVENT | typeof FN_GET_EVENT;
  serial: number;
  /** Position in the controller's event log; 0 means "no record". */
  index: number;
  type: number;
  granted: boolean;
  /** 1–4; 0 only in a record with no event. */
  door: number;
  /** 1 in, 2 out; 0 only in a record with no event. */
  direction: number;
  /** Raw credential. Never logged. */
  card: number;
  /** Controller-local time; null when unset or not a calendar time. */
  time: LocalTime | null;
  reason: number;
}

export type DecodeErrorCode = 'length' | 'som' | 'function' | 'bcd' | 'granted' | 'door' | 'direction';

export class UhppoteDecodeError extends Error {
  override readonly name = 'UhppoteDecodeError';
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type DecodeResult = { ok: true; event: UhppoteEvent } | { ok: false; error: UhppoteDecodeError };

const fail = (code: DecodeErrorCode, message: string): DecodeResult => ({ ok: false, error: new UhppoteDecodeError(code, message) });
const hex = (b: number) => `0x${b.toString(16).padStart(2, '0')}`;

/**
 * Decodes an event push or a get-event reply; never throws. Error messages carry no card
 * number, so they may be logged.
 */
export function decode(p: Uint8Array): DecodeResult {
  if (p.length !== PACKET_BYTES) return fail('length', `${p.length} bytes, expected ${PACKET_BYTES}`);
  const som = p[OFFSET.som]!;
  const fn = p[OFFSET.fn]!;
  if (som !== SOM && !(som === SOM_V662 && fn === FN_EVENT)) return fail('som', `start byte ${hex(som)} with function ${hex(fn)}`);
  if (fn !== FN_EVENT && fn !== FN_GET_EVENT) return fail('function', `function ${hex(fn)} carries no event`);
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const index = v.getUint32(OFFSET.index, true);
  const type = p[OFFSET.type]!;
  const granted = p[OFFSET.granted]!;
  const door = p[OFFSET.door]!;
  const direction = p[OFFSET.direction]!;
  if (granted > 1) return fail('granted', `granted byte ${hex(granted)}, expected 0 or 1`);
  if (!isBcd(p, OFFSET.time)) return fail('bcd', `event time bytes ${OFFSET.time}..${OFFSET.time + BCD_TIME_BYTES - 1} are not BCD`);
  // A record with no event (index 0, type none or overwritten) carries door and direction 0.
  const empty = index === 0 || type === EVENT_TYPES.none || type === EVENT_TYPES.overwritten;
  if (!empty && (door < 1 || door > 4)) return fail('door', `door ${door}, expected 1–4`);
  if (!empty && direction !== 1 && direction !== 2) return fail('direction', `direction ${direction}, expected 1 (in) or 2 (out)`);
  return {
    ok: true,
    event: {
      fn,
      serial: v.getUint32(OFFSET.serial, true),
      index,
      type,
      granted: granted === 1,
      door,
      direction,
      card: v.getUint32(OFFSET.card, true),
      time: decodeBcdTime(p, OFFSET.time),
      reason: p[OFFSET.reason]!,
    },
  };
}

/** decode() for callers that prefer an exception (doctor). Throws UhppoteDecodeError only. */
export function decodeEvent(p: Uint8Array): UhppoteEvent {
  const r = decode(p);
  if (!r.ok) throw r.error;
  return r.event;
}

/** Encodes the event part of a push or get-event reply; the rest of the 64 bytes is zero. */
export function encode(e: UhppoteEvent, o: { som?: typeof SOM | typeof SOM_V662 } = {}): Buffer {
  const p = Buffer.alloc(PACKET_BYTES);
  p[OFFSET.som] = o.som ?? SOM;
  p[OFFSET.fn] = e.fn;
  p.writeUInt32LE(e.serial, OFFSET.serial);
  p.writeUInt32LE(e.index, OFFSET.index);
  p[OFFSET.type] = e.type;
  p[OFFSET.granted] = e.granted ? 1 : 0;
  p[OFFSET.door] = e.door;
  p[OFFSET.direction] = e.direction;
  p.writeUInt32LE(e.card, OFFSET.card);
  if (e.time) encodeBcdTime(e.time, p, OFFSET.time);
  p[OFFSET.reason] = e.reason;
  return p;
}

/** get-event (0xb0): ask a controller for the record at `index` of its event log. */
export function encodeGetEvent(serial: number, index: number): Buffer {
  const p = Buffer.alloc(PACKET_BYTES);
  p[OFFSET.som] = SOM;
  p[OFFSET.fn] = FN_GET_EVENT;
  p.writeUInt32LE(serial, OFFSET.serial);
  p.writeUInt32LE(index, OFFSET.index);
  return p;
}

/** The emulator's side of get-event; null for anything else. */
export function decodeGetEventRequest(p: Uint8Array): { serial: number; index: number } | null {
  if (p.length !== PACKET_BYTES || p[OFFSET.som] !== SOM || p[OFFSET.fn] !== FN_GET_EVENT) return null;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return { serial: v.getUint32(OFFSET.serial, true), index: v.getUint32(OFFSET.index, true) };
}
