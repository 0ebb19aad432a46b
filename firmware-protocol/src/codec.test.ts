import { describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_LENGTH } from './constants.js';
import { EncodeError, FrameError } from './errors.js';
import { decode, encode, encodeFrame } from './frame.js';
import { describeIssues, fromJson } from './json.js';
import type { Message } from './message.js';

const unlock: Message = { type: 'unlock', seq: 1, time: 0, door: 1, method: 'card', granted: true, reason: 0, credential: Buffer.from([1]) };

describe('encode rejects what it cannot represent, naming the field', () => {
  it.each([
    [{ ...unlock, door: 0 }, 'door'],
    [{ ...unlock, door: 17 }, 'door'],
    [{ ...unlock, seq: 0 }, 'seq'],
    [{ ...unlock, seq: 2 ** 32 }, 'seq'],
    [{ ...unlock, time: -1 }, 'time'],
    [{ ...unlock, time: 1.5 }, 'time'],
    [{ ...unlock, credential: Buffer.alloc(65) }, 'credential'],
    [{ ...unlock, method: 'iris' } as unknown as Message, 'method'],
    [{ type: 'hello', protocolVersion: 1, doorCount: 1, capabilities: [], ringCapacity: 1, lastSeq: 0, controllerId: 'x'.repeat(33), firmware: '' } as Message, 'controllerId'],
    [{ type: 'ack', seq: -5 } as Message, 'seq'],
  ])('%#: %s', (m, field) => {
    expect(() => encode(m)).toThrow(EncodeError);
    try {
      encode(m);
    } catch (e) {
      expect((e as EncodeError).field).toBe(field);
    }
  });
  it('a payload larger than the maximum frame', () => {
    expect(() => encodeFrame(0x10, Buffer.alloc(MAX_PAYLOAD_LENGTH + 1))).toThrow(/at most 504 bytes/);
    expect(encodeFrame(0x10, Buffer.alloc(MAX_PAYLOAD_LENGTH))).toHaveLength(512);
  });
});

describe('decode of a single frame', () => {
  const good = encode({ type: 'ack', seq: 9 });
  it.each([
    ['flipped payload bit', (b: Buffer) => (b[7]! ^= 0x10), 'crc'],
    ['flipped CRC bit', (b: Buffer) => (b[b.length - 1]! ^= 1), 'crc'],
    ['flipped header bit', (b: Buffer) => (b[4]! ^= 0x02), 'garbage'],
    ['wrong SOM', (b: Buffer) => (b[0] = 0x55), 'garbage'],
  ])('%s is a %s error', (_, mutate, code) => {
    const b = Buffer.from(good);
    mutate(b);
    expect(() => decode(b)).toThrow(FrameError);
    try {
      decode(b);
    } catch (e) {
      expect((e as FrameError).code).toBe(code);
    }
  });
  it('a length that disagrees with the buffer', () => {
    expect(() => decode(Buffer.concat([good, Buffer.from([0])]))).toThrow(/header says 12 bytes, got 13/);
  });
  it('bad payload names the field', () => {
    const b = encodeFrame(0x10, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 9, 1, 0, 0]));
    expect(() => decode(b)).toThrow(/unlock: method code 9 unknown/);
    const short = encodeFrame(0x10, Buffer.from([1, 0, 0, 0]));
    expect(() => decode(short)).toThrow(/payload ends inside time/);
    const ms = encodeFrame(0x83, Buffer.from([0, 0, 0, 0, 0xe8, 0x03]));
    expect(() => decode(ms)).toThrow(/milliseconds 1000 > 999/);
  });
});

describe('JSON form', () => {
  it('reports every bad field with its path', () => {
    try {
      fromJson({ type: 'unlock', seq: 0, time: 0, door: 99, method: 'card', granted: 'yes', reason: 0, credential: 'zz' });
      expect.unreachable();
    } catch (e) {
      const text = describeIssues(e as never);
      expect(text).toMatch(/seq: /);
      expect(text).toMatch(/door: /);
      expect(text).toMatch(/granted: /);
      expect(text).toMatch(/credential: /);
    }
  });
  it('rejects an unknown type', () => {
    expect(() => fromJson({ type: 'open-sesame' })).toThrow();
  });
});
