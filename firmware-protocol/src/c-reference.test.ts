// The C reference (c/) against the golden vectors and, differentially, against the TS
// DoorlinkParser on random streams of valid frames, odd frames, garbage and bit flips.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CBuild, compileHarness, type HarnessRun, requireCompiler, runHarness, sanitizersWork } from './c-harness.js';
import { CAPABILITIES, DOOR_STATES, MAX_PAYLOAD_LENGTH, METHODS, MessageCode, NAK_REASONS, SOM } from './constants.js';
import { crc8 } from './crc.js';
import { FrameError } from './errors.js';
import { decode, encode, encodeFrame } from './frame.js';
import { fromJson, type MessageJson, toJson } from './json.js';
import type { Decoded } from './parser.js';
import { type FrameVector, loadVectors, parseChunks, type StreamVector } from './testing.js';

const frames = loadVectors<FrameVector>('frames.json');
const streams = loadVectors<StreamVector>('streams.json');

interface Build extends CBuild {
  /** The TS parser option that makes it the same receiver. */
  readonly maxFrameLength: number;
}
const BUILDS: Build[] = [
  { name: 'tables-512', defines: [], maxFrameLength: 512 },
  { name: 'small-96', defines: ['DL_SMALL', 'DL_MAX_FRAME=96'], maxFrameLength: 96 },
];

/** What the TS parser yields for bytes, as the harness prints it (JSON.stringify text). */
async function tsRun(bytes: Buffer, bytewise: boolean, maxFrameLength: number): Promise<HarnessRun> {
  const chunks = bytewise ? [...bytes].map((b) => Buffer.from([b])) : [bytes];
  const { out, counters } = await parseChunks(chunks, { interByteTimeoutMs: 0, maxFrameLength });
  const show = (d: Decoded) => (d.kind === 'message' ? { message: toJson(d.message) } : { error: d.error.code, bytes: d.error.bytes });
  return { lines: out.map((d) => JSON.stringify(show(d))), end: { end: true, counters: { ...counters } } };
}

const parsed = (run: HarnessRun | undefined): unknown[] => (run?.lines ?? []).map((l) => JSON.parse(l));
const messagesOf = (events: unknown[]) => events.filter((e) => typeof e === 'object' && e !== null && 'message' in e);
const countersOf = (run: HarnessRun | undefined) => (run?.end.counters ?? {}) as Record<string, number>;

// ---- random streams: the JSON form within MessageJsonSchema's limits (json.ts) ----

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const seq = fc.integer({ min: 1, max: 0xffffffff });
const time = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff * 1000 + 999 }));
const door = fc.integer({ min: 1, max: 16 });
const text = fc
  .oneof(fc.string({ maxLength: 32 }), fc.string({ unit: 'binary-ascii', maxLength: 32 }), fc.string({ unit: 'binary', maxLength: 12 }))
  .filter((s) => Buffer.byteLength(s) <= 32);
const arbJson: fc.Arbitrary<MessageJson> = fc.oneof(
  fc.record({
    type: fc.constant('hello' as const),
    protocolVersion: fc.integer({ min: 1, max: 255 }),
    doorCount: door,
    capabilities: fc.subarray([...CAPABILITIES]),
    ringCapacity: fc.integer({ min: 1, max: 0xffff }),
    lastSeq: u32,
    controllerId: text,
    firmware: text,
  }),
  fc.record({
    type: fc.constant('unlock' as const),
    seq,
    time,
    door,
    method: fc.constantFrom(...METHODS),
    granted: fc.boolean(),
    reason: fc.integer({ min: 0, max: 255 }),
    credential: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('hex')),
  }),
  fc.record({ type: fc.constant('door-state' as const), seq, time, door, state: fc.constantFrom(...DOOR_STATES) }),
  fc.record({ type: fc.constant('heartbeat' as const), time, lastSeq: u32, pending: fc.integer({ min: 0, max: 0xffff }), dropped: u32 }),
  fc.record({ type: fc.constant('agent-hello' as const), protocolVersion: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ type: fc.constant('ack' as const), seq }),
  fc.record({ type: fc.constant('nak' as const), seq, reason: fc.constantFrom(...NAK_REASONS) }),
  fc.record({ type: fc.constant('time-set' as const), time }),
);

const byteLikeSom = fc.oneof(fc.constant(SOM), fc.integer({ min: 0, max: 255 }));
/** Any TYPE, any VER, any payload: version, unknown-type and bad-payload frames, odd texts. */
const oddFrame = fc
  .record({
    code: fc.oneof(fc.constantFrom(...Object.values(MessageCode)), fc.integer({ min: 0, max: 255 })),
    version: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 255 })),
    payload: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 80, maxLength: MAX_PAYLOAD_LENGTH })),
  })
  .map(({ code, version, payload }) => encodeFrame(code, payload, version));
/** A header with a valid HCS and any LEN: length errors, truncation, long CRC scans. */
const header = fc.record({ version: fc.integer({ min: 0, max: 255 }), len: fc.integer({ min: 0, max: 0xffff }), code: byteLikeSom }).map(({ version, len, code }) => {
  const h = Buffer.from([SOM, version, len & 0xff, len >> 8, code, 0]);
  h[5] = crc8(h, 1, 5);
  return h;
});
/** HELLO with raw text bytes: invalid UTF-8 must print as Node's toString('utf8') does. */
const rawText = fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.concat([Buffer.from([b.length]), b]));
const rawTextHello = fc
  .tuple(rawText, rawText)
  .map(([id, fw]) => encodeFrame(MessageCode.hello, Buffer.concat([Buffer.from([1, 2, 0xff, 0xff, 1, 0, 7, 0, 0, 0]), id, fw])));
/** A valid message with payload bytes overwritten (boundary values first), cut or extended,
 * then re-framed with a good CRC: payload validation must agree field by field. */
const boundary = fc.oneof(fc.constantFrom(0, 1, 2, 4, 5, 6, 7, 16, 17, 32, 33, 64, 65, 0xe7, 0xe8, 0xff), fc.integer({ min: 0, max: 255 }));
const tweakedFrame = fc
  .record({
    json: arbJson,
    edits: fc.array(fc.tuple(fc.oneof(fc.nat(15), fc.nat()), boundary), { minLength: 1, maxLength: 3 }),
    tail: fc.oneof(fc.constant(-1), fc.nat(8), fc.uint8Array({ maxLength: 70 })),
  })
  .map(({ json, edits, tail }) => {
    const frame = encode(fromJson(json));
    const payload = Buffer.from(frame.subarray(6, frame.length - 2));
    for (const [k, v] of edits) if (payload.length > 0) payload[k % payload.length] = v;
    const body = typeof tail === 'number' ? payload.subarray(0, Math.max(0, payload.length - 1 - tail)) : Buffer.concat([payload, tail]);
    return encodeFrame(MessageCode[json.type], body);
  });
const garbage = fc.uint8Array({ minLength: 1, maxLength: 24 }).map((b) => Buffer.from(b));
const somRich = fc.array(byteLikeSom, { minLength: 1, maxLength: 24 }).map((b) => Buffer.from(b));
const segment = fc.oneof(
  { weight: 4, arbitrary: arbJson.map((j) => encode(fromJson(j))) },
  { weight: 2, arbitrary: oddFrame },
  { weight: 1, arbitrary: rawTextHello },
  { weight: 3, arbitrary: tweakedFrame },
  { weight: 1, arbitrary: header },
  { weight: 1, arbitrary: garbage },
  { weight: 1, arbitrary: somRich },
);
const flip = fc.record({ at: fc.nat(1 << 20), bit: fc.integer({ min: 0, max: 7 }) });
const arbStream = fc
  .record({ parts: fc.array(segment, { minLength: 1, maxLength: 8 }), flips: fc.array(flip, { maxLength: 4 }), cut: fc.nat(12) })
  .map(({ parts, flips, cut }) => {
    const bytes = Buffer.concat(parts);
    for (const f of flips) {
      const k = f.at % bytes.length;
      bytes[k] = (bytes[k] ?? 0) ^ (1 << f.bit);
    }
    return bytes.subarray(0, Math.max(0, bytes.length - cut));
  });

const RUNS = 200;
const BYTEWISE_RUNS = 40;
const streamSamples = fc.sample(arbStream, { seed: 0x0d001ee, numRuns: RUNS });
const messageSamples = fc.sample(arbJson, { seed: 0x0d002ee, numRuns: RUNS }).map((j) => ({ json: j, hex: encode(fromJson(j)).toString('hex') }));

/** Every vector with each of its first 24 payload bytes set to each boundary value, cut
 * short at every length, and extended by trailing bytes (§2.6): all CRC-valid frames. */
const BOUNDARY = [0, 1, 2, 3, 4, 5, 6, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 0x7f, 0x80, 0xe7, 0xe8, 0xfe, 0xff];
const edited: Buffer[] = frames.flatMap(({ hex }) => {
  const f = Buffer.from(hex, 'hex');
  const code = f[4] ?? 0;
  const payload = f.subarray(6, f.length - 2);
  const out: Buffer[] = [encodeFrame(code, Buffer.concat([payload, Buffer.alloc(70, 0xd5)]))];
  for (let cut = 0; cut < payload.length; cut++) out.push(encodeFrame(code, payload.subarray(0, cut)));
  for (let k = 0; k < Math.min(payload.length, 24); k++) {
    for (const v of BOUNDARY) {
      const p = Buffer.from(payload);
      p[k] = v;
      out.push(encodeFrame(code, p));
    }
  }
  return out;
});

// ---- one harness process per build answers everything below ----

let dir = '';
const results = new Map<string, HarnessRun[]>();
const INPUTS = [
  'selftest',
  ...frames.flatMap((f) => [`whole ${f.hex}`, `bytewise ${f.hex}`, `encode ${f.hex}`]),
  ...streams.flatMap((s) => [`whole ${s.hex}`, `bytewise ${s.hex}`]),
  ...streamSamples.map((b) => `whole ${b.toString('hex')}`),
  ...streamSamples.slice(0, BYTEWISE_RUNS).map((b) => `bytewise ${b.toString('hex')}`),
  ...messageSamples.map((m) => `encode ${m.hex}`),
  ...edited.map((b) => `whole ${b.toString('hex')}`),
];
const at = {
  selftest: 0,
  frame: (i: number, mode: 0 | 1 | 2) => 1 + 3 * i + mode,
  stream: (i: number, mode: 0 | 1) => 1 + 3 * frames.length + 2 * i + mode,
  sample: (i: number) => 1 + 3 * frames.length + 2 * streams.length + i,
  sampleBytewise: (i: number) => 1 + 3 * frames.length + 2 * streams.length + RUNS + i,
  message: (i: number) => 1 + 3 * frames.length + 2 * streams.length + RUNS + BYTEWISE_RUNS + i,
  edited: (i: number) => 1 + 3 * frames.length + 2 * streams.length + 2 * RUNS + BYTEWISE_RUNS + i,
};

/** The TS verdict on one complete CRC-valid frame, as the harness prints it. */
function tsFrameLine(frame: Buffer): string {
  try {
    return JSON.stringify({ message: toJson(decode(frame)) });
  } catch (err) {
    if (!(err instanceof FrameError)) throw err;
    return JSON.stringify({ error: err.code, bytes: frame.length });
  }
}

beforeAll(() => {
  requireCompiler();
  dir = mkdtempSync(join(tmpdir(), 'doorlink-c-'));
  const sanitize = sanitizersWork(dir);
  for (const b of BUILDS) results.set(b.name, runHarness(compileHarness(dir, b, sanitize), INPUTS));
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe.each(BUILDS)('C reference, $name build', (build) => {
  const run = (i: number) => results.get(build.name)?.[i];
  const fullSize = build.maxFrameLength === 512;

  it('passes its C self-checks (CRC check values, every encode error, buffer bounds)', () => {
    expect(run(at.selftest)).toEqual({ lines: [], end: { end: true, failed: 0 } });
  });

  it.each(frames.map((f, i) => ({ ...f, i })))('frame $name: decodes whole and bytewise, re-encodes to its bytes', ({ hex, message, i }) => {
    for (const mode of [0, 1] as const) {
      expect(parsed(run(at.frame(i, mode)))).toEqual([{ message }]);
      expect(countersOf(run(at.frame(i, mode)))).toMatchObject({ messages: 1, frameBytes: hex.length / 2, discardedBytes: 0 });
    }
    expect(parsed(run(at.frame(i, 2)))).toEqual([{ message }, { hex }]);
  });

  it.each(streams.map((s, i) => ({ ...s, i })))('stream $name: whole-chunk events as the TS parser, bytewise messages', async ({ hex, expect: expected, i }) => {
    const bytes = Buffer.from(hex, 'hex');
    const whole = run(at.stream(i, 0));
    if (fullSize) expect(parsed(whole)).toEqual(expected);
    expect(whole).toEqual(await tsRun(bytes, false, build.maxFrameLength));
    const bytewise = run(at.stream(i, 1));
    expect(messagesOf(parsed(bytewise))).toEqual(messagesOf(parsed(whole)));
    const c = countersOf(bytewise);
    expect((c.discardedBytes ?? 0) + (c.frameBytes ?? 0)).toBe(bytes.length);
  });

  it(`matches the TS parser event for event on ${RUNS} random streams (whole chunk)`, async () => {
    const seen = new Set<string>();
    for (const [i, bytes] of streamSamples.entries()) {
      const c = run(at.sample(i));
      expect(c, `stream ${i}: ${bytes.toString('hex')}`).toEqual(await tsRun(bytes, false, build.maxFrameLength));
      for (const e of parsed(c) as { error?: string; message?: { type: string } }[]) seen.add(e.error ?? e.message?.type ?? '');
      if (c?.lines.some((l) => l.includes('\ufffd'))) seen.add('U+FFFD');
    }
    // The samples do reach every path, invalid UTF-8 in texts included.
    const paths = ['garbage', 'crc', 'length', 'truncated', 'version', 'unknown-type', 'bad-payload', 'U+FFFD'];
    expect([...seen].sort()).toEqual([...paths, ...Object.keys(MessageCode)].sort());
  });

  it(`matches the TS parser fed byte by byte on ${BYTEWISE_RUNS} random streams`, async () => {
    for (const [i, bytes] of streamSamples.slice(0, BYTEWISE_RUNS).entries()) {
      expect(run(at.sampleBytewise(i)), `stream ${i}: ${bytes.toString('hex')}`).toEqual(await tsRun(bytes, true, build.maxFrameLength));
    }
  });

  it(`agrees with payload.ts on ${edited.length} edited, cut and extended vector payloads`, async () => {
    const verdicts = new Set<string>();
    for (const [i, frame] of edited.entries()) {
      const c = run(at.edited(i));
      if (frame.length > build.maxFrameLength) {
        expect(c).toEqual(await tsRun(frame, false, build.maxFrameLength));
        continue;
      }
      expect(c?.lines, `frame ${frame.toString('hex')}`).toEqual([tsFrameLine(frame)]);
      verdicts.add(c?.lines[0]?.startsWith('{"message"') ? 'message' : 'bad-payload');
    }
    expect([...verdicts].sort()).toEqual(['bad-payload', 'message']);
  });

  it(`re-encodes ${RUNS} random messages to the TS encoder's bytes`, async () => {
    for (const [i, m] of messageSamples.entries()) {
      const bytes = Buffer.from(m.hex, 'hex');
      const c = run(at.message(i));
      const hexLines = c?.lines.filter((l) => l.startsWith('{"hex":')) ?? [];
      const fits = bytes.length <= build.maxFrameLength;
      expect(hexLines, `message ${i}: ${JSON.stringify(m.json)}`).toEqual(fits ? [JSON.stringify({ hex: m.hex })] : []);
      const events = c?.lines.filter((l) => !l.startsWith('{"hex":'));
      expect({ lines: events, end: c?.end }).toEqual(await tsRun(bytes, false, build.maxFrameLength));
      if (fits) expect(parsed(c)[0]).toEqual({ message: toJson(decode(bytes)) });
    }
  });
});
