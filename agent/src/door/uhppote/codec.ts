// The 64-byte UDP messages of the UT0311-L0x ("UHPPOTE", Wiegand-to-TCP/IP) access controllers:
// the event pushed to a listener and the get-event request/response used to fetch missed ones.
// Layout from the public uhppoted project (uhppote-core messages/events.go, get_event.go),
// verified here only against our own emulator, not against hardware:
//   0      SOM 0x17 (0x19 on firmware v6.62)      1  function: 0x20 event/status, 0xb0 get-event
//   4..7   controller serial, u32 LE              8..11  event index, u32 LE
//   12     event type: 0 none, 1 swipe, 2 door/button/remote, 3 warning, 0xff overwritten
//   13     granted (0/1)  14 door 1..4  15 direction 1 in / 2 out
//   16..19 card number, u32 LE                    20..26 event time, BCD yyyy mm dd HH MM SS
//   27     reason code (1 swipe … 20 push button, 23 door open, 24 door closed, 25 super
//          password, 37 open too long, 38 forced open, 44 remote open, …)
export const PACKET_BYTES = 64;
export const SOM = 0x17;
export const SOM_V662 = 0x19;
export const FN_EVENT = 0x20;
export const FN_GET_EVENT = 0xb0;

export const EVENT_TYPES = { none: 0, swipe: 1, door: 2, warning: 3, overwritten: 0xff } as const;

export interface UhppoteEvent {
  fn: typeof FN_EVENT | typeof FN_GET_EVENT;
  serial: number;
  index: number;
  type: number;
  granted: boolean;
  door: number;
  direction: 1 | 2;
  card: number;
  /** Controller-local wall time, as written; null when the BCD is invalid or zero. */
  time: { year: number; month: number; day: number; hour: number; minute: number; second: number } | null;
  reason: number;
}

export type DecodeError = 'length' | 'som' | 'function' | 'door' | 'direction';

export class UhppoteDecodeError extends Error {
  override readonly name = 'UhppoteDecodeError';
  constructor(
    readonly code: DecodeError,
    message: string,
  ) {
    super(message);
  }
}

const bcd = (b: number): number | null => ((b >> 4) > 9 || (b & 0xf) > 9 ? null : (b >> 4) * 10 + (b & 0xf));
const toBcd = (n: number): number => ((Math.floor(n / 10) % 10) << 4) | n % 10;

function decodeTime(p: Uint8Array, at: number): UhppoteEvent['time'] {
  const d = Array.from(p.subarray(at, at + 7), bcd);
  if (d.some((x) => x === null)) return null;
  const [c, y, month, day, hour, minute, second] = d as number[];
  const t = { year: c! * 100 + y!, month: month!, day: day!, hour: hour!, minute: minute!, second: second! };
  if (t.year === 0 || t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 || t.hour > 23 || t.minute > 59 || t.second > 59) return null;
  return t;
}

/** Decodes an event push or a get-event response. Throws UhppoteDecodeError; nothing else. */
export function decodeEvent(p: Uint8Array): UhppoteEvent {
  if (p.length !== PACKET_BYTES) throw new UhppoteDecodeError('length', `${p.length} bytes, expected ${PACKET_BYTES}`);
  if (p[0] !== SOM && p[0] !== SOM_V662) throw new UhppoteDecodeError('som', `start byte 0x${p[0]!.toString(16)}`);
  const fn = p[1]!;
  if (fn !== FN_EVENT && fn !== FN_GET_EVENT) throw new UhppoteDecodeError('function', `function 0x${fn.toString(16)} is not an event`);
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const type = p[12]!;
  const index = v.getUint32(8, true);
  const door = p[14]!;
  // A status reply with no event (index 0 / type none) carries door 0; only real events need 1–4.
  if (type !== EVENT_TYPES.none && index !== 0 && (door < 1 || door > 4)) throw new UhppoteDecodeError('door', `door ${door}, expected 1–4`);
  const direction = p[15]!;
  if (type !== EVENT_TYPES.none && index !== 0 && direction !== 1 && direction !== 2) throw new UhppoteDecodeError('direction', `direction ${direction}, expected 1 (in) or 2 (out)`);
  return {
    fn,
    serial: v.getUint32(4, true),
    index,
    type,
    granted: p[13] === 1,
    door,
    direction: direction === 2 ? 2 : 1,
    card: v.getUint32(16, true),
    time: decodeTime(p, 20),
    reason: p[27]!,
  };
}

export function encodeEvent(e: UhppoteEvent): Buffer {
  const p = Buffer.alloc(PACKET_BYTES);
  p[0] = SOM;
  p[1] = e.fn;
  p.writeUInt32LE(e.serial, 4);
  p.writeUInt32LE(e.index, 8);
  p[12] = e.type;
  p[13] = e.granted ? 1 : 0;
  p[14] = e.door;
  p[15] = e.direction;
  p.writeUInt32LE(e.card, 16);
  if (e.time) {
    const t = e.time;
    [Math.floor(t.year / 100), t.year % 100, t.month, t.day, t.hour, t.minute, t.second].forEach((x, i) => {
      p[20 + i] = toBcd(x);
    });
  }
  p[27] = e.reason;
  return p;
}

/** get-event (0xb0): ask a controller for the record at `index` of its event log. */
export function encodeGetEvent(serial: number, index: number): Buffer {
  const p = Buffer.alloc(PACKET_BYTES);
  p[0] = SOM;
  p[1] = FN_GET_EVENT;
  p.writeUInt32LE(serial, 4);
  p.writeUInt32LE(index, 8);
  return p;
}

export function decodeGetEventRequest(p: Uint8Array): { serial: number; index: number } | null {
  if (p.length !== PACKET_BYTES || p[0] !== SOM || p[1] !== FN_GET_EVENT) return null;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return { serial: v.getUint32(4, true), index: v.getUint32(8, true) };
}

/** Controller-local time in `timeZone` → Unix ms (DST-correct via Intl); 0 when unknown. */
export function localToEpochMs(t: UhppoteEvent['time'], timeZone: string): number {
  if (!t) return 0;
  const naive = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  const offset = (at: number) => {
    const f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    const parts = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, Number(x.value)]));
    return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) - at;
  };
  const first = naive - offset(naive);
  return naive - offset(first);
}
