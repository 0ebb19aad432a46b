// Payload layouts of doorlink v1 (PROTOCOL.md §3). All integers little-endian.
// Decoders ignore trailing bytes after the last field so a peer may extend a message
// within the same protocol version (PROTOCOL.md §2.6).
import {
  CAPABILITIES,
  DOOR_STATES,
  MAX_CREDENTIAL_LENGTH,
  MAX_DOORS,
  MAX_TEXT_LENGTH,
  METHODS,
  MessageCode,
  type MessageKind,
  NAK_REASONS,
} from './constants.js';
import { EncodeError, FrameError } from './errors.js';
import type { Message } from './message.js';

class Writer {
  readonly buf: Buffer;
  at = 0;
  constructor(size: number) {
    this.buf = Buffer.alloc(size);
  }
  u8(v: number, field: string, min = 0, max = 0xff): this {
    this.buf[this.at++] = checkInt(v, field, min, max);
    return this;
  }
  u16(v: number, field: string, min = 0, max = 0xffff): this {
    this.buf.writeUInt16LE(checkInt(v, field, min, max), this.at);
    this.at += 2;
    return this;
  }
  u32(v: number, field: string, min = 0): this {
    this.buf.writeUInt32LE(checkInt(v, field, min, 0xffffffff), this.at);
    this.at += 4;
    return this;
  }
  time(ms: number, field: string): this {
    checkInt(ms, field, 0, 0xffffffff * 1000 + 999);
    return this.u32(Math.floor(ms / 1000), field).u16(ms % 1000, field);
  }
  bytes(b: Uint8Array, field: string, max: number): this {
    if (b.length > max) throw new EncodeError(field, `at most ${max} bytes, got ${b.length}`);
    this.u8(b.length, field);
    this.buf.set(b, this.at);
    this.at += b.length;
    return this;
  }
  text(s: string, field: string): this {
    return this.bytes(Buffer.from(s, 'utf8'), field, MAX_TEXT_LENGTH);
  }
  done(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}

function checkInt(v: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new EncodeError(field, `must be an integer in ${min}..${max}, got ${v}`);
  }
  return v;
}

function indexOf<T extends string>(names: readonly T[], v: T, field: string): number {
  const i = names.indexOf(v);
  if (i < 0) throw new EncodeError(field, `must be one of ${names.join(', ')}, got ${String(v)}`);
  return i + 1;
}

export function encodePayload(m: Message): Buffer {
  switch (m.type) {
    case 'hello': {
      let caps = 0;
      for (const c of m.capabilities) caps |= 1 << (indexOf(CAPABILITIES, c, 'capabilities') - 1);
      return new Writer(10 + 2 + 2 * MAX_TEXT_LENGTH)
        .u8(m.protocolVersion, 'protocolVersion', 1)
        .u8(m.doorCount, 'doorCount', 1, MAX_DOORS)
        .u16(caps, 'capabilities')
        .u16(m.ringCapacity, 'ringCapacity', 1)
        .u32(m.lastSeq, 'lastSeq')
        .text(m.controllerId, 'controllerId')
        .text(m.firmware, 'firmware')
        .done();
    }
    case 'unlock':
      return new Writer(15 + MAX_CREDENTIAL_LENGTH)
        .u32(m.seq, 'seq', 1)
        .time(m.time, 'time')
        .u8(m.door, 'door', 1, MAX_DOORS)
        .u8(indexOf(METHODS, m.method, 'method'), 'method')
        .u8(m.granted ? 1 : 0, 'granted')
        .u8(m.reason, 'reason')
        .bytes(m.credential, 'credential', MAX_CREDENTIAL_LENGTH)
        .done();
    case 'door-state':
      return new Writer(12)
        .u32(m.seq, 'seq', 1)
        .time(m.time, 'time')
        .u8(m.door, 'door', 1, MAX_DOORS)
        .u8(indexOf(DOOR_STATES, m.state, 'state'), 'state')
        .done();
    case 'heartbeat':
      return new Writer(16)
        .time(m.time, 'time')
        .u32(m.lastSeq, 'lastSeq')
        .u16(m.pending, 'pending')
        .u32(m.dropped, 'dropped')
        .done();
    case 'agent-hello':
      return new Writer(1).u8(m.protocolVersion, 'protocolVersion', 1).done();
    case 'ack':
      return new Writer(4).u32(m.seq, 'seq', 1).done();
    case 'nak':
      return new Writer(5).u32(m.seq, 'seq', 1).u8(indexOf(NAK_REASONS, m.reason, 'reason'), 'reason').done();
    case 'time-set':
      return new Writer(6).time(m.time, 'time').done();
    default:
      return assertNever(m);
  }
}

export function assertNever(x: never): never {
  throw new TypeError(`unhandled value ${JSON.stringify(x)}`);
}

const KIND_BY_CODE = new Map<number, MessageKind>(
  Object.entries(MessageCode).map(([k, v]) => [v, k as MessageKind]),
);

export function kindOf(code: number): MessageKind | undefined {
  return KIND_BY_CODE.get(code);
}

/** Reads a payload in place, buf[at, end), without slicing it. */
class Reader {
  constructor(
    readonly buf: Buffer,
    public at: number,
    readonly end: number,
    readonly kind: MessageKind,
  ) {}
  #need(n: number, field: string): void {
    if (this.at + n > this.end) {
      throw this.fail(`payload ends inside ${field} (${this.end - this.at} bytes left)`);
    }
  }
  fail(message: string): FrameError {
    return new FrameError('bad-payload', `${this.kind}: ${message}`, 0, { type: this.kind });
  }
  u8(field: string): number {
    this.#need(1, field);
    return this.buf[this.at++]!;
  }
  u16(field: string): number {
    this.#need(2, field);
    const v = this.buf.readUInt16LE(this.at);
    this.at += 2;
    return v;
  }
  u32(field: string): number {
    this.#need(4, field);
    const v = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }
  time(field: string): number {
    const s = this.u32(field);
    const ms = this.u16(field);
    if (ms > 999) throw this.fail(`${field} milliseconds ${ms} > 999`);
    return s * 1000 + ms;
  }
  #span(field: string, max: number): number {
    const n = this.u8(field);
    if (n > max) throw this.fail(`${field} length ${n} > ${max}`);
    this.#need(n, field);
    this.at += n;
    return n;
  }
  /** A copy, so a message never aliases (and keeps alive) the receive buffer. */
  bytes(field: string, max: number): Uint8Array {
    const n = this.#span(field, max);
    return Uint8Array.prototype.slice.call(this.buf, this.at - n, this.at);
  }
  text(field: string): string {
    const n = this.#span(field, MAX_TEXT_LENGTH);
    return this.buf.toString('utf8', this.at - n, this.at);
  }
  ranged(field: string, v: number, min: number, max: number): number {
    if (v < min || v > max) throw this.fail(`${field} ${v} outside ${min}..${max}`);
    return v;
  }
  named<T extends string>(field: string, names: readonly T[]): T {
    const code = this.u8(field);
    const name = names[code - 1];
    if (name === undefined) throw this.fail(`${field} code ${code} unknown`);
    return name;
  }
}

/** Decodes the payload buf[start, end) of a CRC-valid frame. Throws FrameError('bad-payload'). */
export function decodePayload(kind: MessageKind, buf: Buffer, start = 0, end = buf.length): Message {
  const r = new Reader(buf, start, end, kind);
  switch (kind) {
    case 'hello': {
      const protocolVersion = r.ranged('protocolVersion', r.u8('protocolVersion'), 1, 0xff);
      const doorCount = r.ranged('doorCount', r.u8('doorCount'), 1, MAX_DOORS);
      const caps = r.u16('capabilities');
      const ringCapacity = r.ranged('ringCapacity', r.u16('ringCapacity'), 1, 0xffff);
      const lastSeq = r.u32('lastSeq');
      const controllerId = r.text('controllerId');
      const firmware = r.text('firmware');
      const capabilities = CAPABILITIES.filter((_, i) => caps & (1 << i));
      return { type: kind, protocolVersion, doorCount, capabilities, ringCapacity, lastSeq, controllerId, firmware };
    }
    case 'unlock': {
      const seq = r.ranged('seq', r.u32('seq'), 1, 0xffffffff);
      const time = r.time('time');
      const door = r.ranged('door', r.u8('door'), 1, MAX_DOORS);
      const method = r.named('method', METHODS);
      const granted = r.ranged('granted', r.u8('granted'), 0, 1) === 1;
      const reason = r.u8('reason');
      const credential = r.bytes('credential', MAX_CREDENTIAL_LENGTH);
      return { type: kind, seq, time, door, method, granted, reason, credential };
    }
    case 'door-state': {
      const seq = r.ranged('seq', r.u32('seq'), 1, 0xffffffff);
      const time = r.time('time');
      const door = r.ranged('door', r.u8('door'), 1, MAX_DOORS);
      const state = r.named('state', DOOR_STATES);
      return { type: kind, seq, time, door, state };
    }
    case 'heartbeat': {
      const time = r.time('time');
      return { type: kind, time, lastSeq: r.u32('lastSeq'), pending: r.u16('pending'), dropped: r.u32('dropped') };
    }
    case 'agent-hello':
      return { type: kind, protocolVersion: r.ranged('protocolVersion', r.u8('protocolVersion'), 1, 0xff) };
    case 'ack':
      return { type: kind, seq: r.ranged('seq', r.u32('seq'), 1, 0xffffffff) };
    case 'nak': {
      const seq = r.ranged('seq', r.u32('seq'), 1, 0xffffffff);
      return { type: kind, seq, reason: r.named('reason', NAK_REASONS) };
    }
    case 'time-set':
      return { type: kind, time: r.time('time') };
    default:
      return assertNever(kind);
  }
}
