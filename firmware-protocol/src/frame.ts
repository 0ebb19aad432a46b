// One doorlink frame (PROTOCOL.md §2):
//   SOM(1)=0xD5 VER(1) LEN(2,LE) TYPE(1) HCS(1) PAYLOAD(LEN-8) CRC(2,LE)
// HCS = CRC-8/SMBUS over VER..TYPE; CRC = CRC-16/IBM-3740 over SOM..PAYLOAD.
import {
  CRC_LENGTH,
  HEADER_LENGTH,
  MAX_FRAME_LENGTH,
  MAX_PAYLOAD_LENGTH,
  MessageCode,
  MIN_FRAME_LENGTH,
  PROTOCOL_VERSION,
  SOM,
} from './constants.js';
import { crc8, crc16 } from './crc.js';
import { EncodeError, FrameError } from './errors.js';
import type { Message } from './message.js';
import { decodePayload, encodePayload, kindOf } from './payload.js';

/** Wraps a payload in a frame. `version` is only for tests of version handling. */
export function encodeFrame(code: number, payload: Uint8Array, version = PROTOCOL_VERSION): Buffer {
  if (payload.length > MAX_PAYLOAD_LENGTH) {
    throw new EncodeError('payload', `at most ${MAX_PAYLOAD_LENGTH} bytes, got ${payload.length}`);
  }
  const len = MIN_FRAME_LENGTH + payload.length;
  const f = Buffer.allocUnsafe(len);
  f[0] = SOM;
  f[1] = version;
  f.writeUInt16LE(len, 2);
  f[4] = code;
  f[5] = crc8(f, 1, 5);
  f.set(payload, HEADER_LENGTH);
  f.writeUInt16LE(crc16(f, 0, len - CRC_LENGTH), len - CRC_LENGTH);
  return f;
}

/** Encodes a message as one complete frame. Throws EncodeError naming the bad field. */
export function encode(message: Message): Buffer {
  return encodeFrame(MessageCode[message.type], encodePayload(message));
}

/** True when buf[at..at+6) is a plausible header: SOM and a matching HCS. */
export function headerOk(buf: Uint8Array, at: number): boolean {
  return buf[at] === SOM && crc8(buf, at + 1, at + 5) === buf[at + 5];
}

export function frameLength(buf: Buffer, at: number): number {
  return buf.readUInt16LE(at + 2);
}

export function lengthOk(len: number, max = MAX_FRAME_LENGTH): boolean {
  return len >= MIN_FRAME_LENGTH && len <= max;
}

export function crcOk(buf: Buffer, at: number, len: number): boolean {
  return crc16(buf, at, at + len - CRC_LENGTH) === buf.readUInt16LE(at + len - CRC_LENGTH);
}

/**
 * Decodes one CRC-valid frame. Throws FrameError 'version', 'unknown-type' or 'bad-payload';
 * in each case the whole frame is consumed (PROTOCOL.md §2.6).
 */
export function decodeFrame(buf: Buffer, at = 0, len = buf.length - at): Message {
  const version = buf[at + 1]!;
  const code = buf[at + 4]!;
  if (version !== PROTOCOL_VERSION) {
    throw new FrameError('version', `protocol version ${version} not supported`, len, { version, code });
  }
  const kind = kindOf(code);
  if (kind === undefined) {
    throw new FrameError('unknown-type', `message type 0x${hex2(code)} unknown, skipped`, len, { code });
  }
  try {
    return decodePayload(kind, buf, at + HEADER_LENGTH, at + len - CRC_LENGTH);
  } catch (err) {
    if (err instanceof FrameError) throw new FrameError(err.code, err.message, len, err.context);
    throw err;
  }
}

/** Decodes a buffer that must hold exactly one valid frame (tests, vectors, CLI). */
export function decode(frame: Buffer): Message {
  if (frame.length < MIN_FRAME_LENGTH || !headerOk(frame, 0)) {
    throw new FrameError('garbage', 'not a doorlink header', frame.length);
  }
  const len = frameLength(frame, 0);
  if (len !== frame.length) throw new FrameError('length', `header says ${len} bytes, got ${frame.length}`, len);
  if (!crcOk(frame, 0, len)) throw new FrameError('crc', 'frame CRC mismatch', len);
  return decodeFrame(frame);
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
