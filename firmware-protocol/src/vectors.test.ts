import { describe, expect, it } from 'vitest';
import { decode, encode } from './frame.js';
import { fromJson, toJson } from './json.js';
import { type FrameVector, loadVectors, parseChunks, type StreamVector } from './testing.js';

const frames = loadVectors<FrameVector>('frames.json');
const streams = loadVectors<StreamVector>('streams.json');

describe('golden frame vectors', () => {
  it('cover every message type', () => {
    const types = new Set(frames.map((f) => (f.message as { type: string }).type));
    expect([...types].sort()).toEqual(['ack', 'agent-hello', 'door-state', 'heartbeat', 'hello', 'nak', 'time-set', 'unlock']);
  });
  it.each(frames)('$name encodes to its bytes and decodes back', ({ hex, message }) => {
    expect(encode(fromJson(message)).toString('hex')).toBe(hex);
    expect(toJson(decode(Buffer.from(hex, 'hex')))).toEqual(message);
  });
  it.each(frames)('$name survives being fed one byte at a time', async ({ hex, message }) => {
    const bytes = Buffer.from(hex, 'hex');
    const { out } = await parseChunks([...bytes].map((b) => Buffer.from([b])));
    expect(out).toHaveLength(1);
    expect(out[0]?.kind === 'message' && toJson(out[0].message)).toEqual(message);
  });
});

describe('golden stream vectors', () => {
  it.each(streams)('$name', async ({ hex, expect: expected }) => {
    const { out, counters } = await parseChunks([Buffer.from(hex, 'hex')]);
    const got = out.map((d) => (d.kind === 'message' ? { message: toJson(d.message) } : { error: d.error.code, bytes: d.error.bytes }));
    expect(got).toEqual(expected);
    expect(counters.frameBytes + counters.discardedBytes).toBe(hex.length / 2);
  });
});

describe('spec worked examples (PROTOCOL.md §2.5)', () => {
  it('ACK seq 1', () => {
    expect(encode({ type: 'ack', seq: 1 }).toString('hex')).toBe('d5010c008162010000000e61');
  });
  it('UNLOCK seq 42', () => {
    const m = fromJson({ type: 'unlock', seq: 42, time: 1767250800123, door: 1, method: 'card', granted: true, reason: 0, credential: '04a1b2c3' });
    expect(encode(m).toString('hex')).toBe('d5011b0010282a000000701b56697b00010101000404a1b2c39c7a');
  });
});
