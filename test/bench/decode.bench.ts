// doorlink decode throughput on clean frames, random garbage and an adversarial stream,
// at two sizes, to show it is linear in input size (PROTOCOL.md §2.7).
import { randomBytes } from 'node:crypto';
import { crc8, DoorlinkParser, encode, MAX_FRAME_LENGTH, type Message } from '@doorcast/firmware-protocol';
import { type BenchResult, median, round } from './result.js';

const MB = 2 ** 20;
const CHUNK = 64 * 1024;

function cleanStream(bytes: number): Buffer {
  const msgs: Message[] = [
    { type: 'unlock', seq: 1, time: 1767250800123, door: 1, method: 'card', granted: true, reason: 0, credential: Buffer.from('04a1b2c3', 'hex') },
    { type: 'door-state', seq: 2, time: 1767250801500, door: 1, state: 'opened' },
    { type: 'heartbeat', time: 1767250805000, lastSeq: 2, pending: 0, dropped: 0 },
  ];
  const frames: Buffer[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const f = encode({ ...msgs[i % msgs.length]!, ...('seq' in msgs[i % msgs.length]! ? { seq: i + 1 } : {}) } as Message);
    frames.push(f);
    n += f.length;
  }
  return Buffer.concat(frames);
}

/** Valid headers announcing MAX_FRAME every 6 bytes, never completed: the CRC-heavy worst case. */
function adversarialStream(bytes: number): Buffer {
  const h = Buffer.from([0xd5, 0x01, MAX_FRAME_LENGTH & 0xff, MAX_FRAME_LENGTH >> 8, 0x10, 0]);
  h[5] = crc8(h, 1, 5);
  return Buffer.alloc(bytes, h);
}

function decodeSeconds(buf: Buffer): { seconds: number; messages: number } {
  const p = new DoorlinkParser({ interByteTimeoutMs: 0 });
  let messages = 0;
  p.on('data', (d: { kind: string }) => {
    if (d.kind === 'message') messages++;
  });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < buf.length; i += CHUNK) p.write(buf.subarray(i, i + CHUNK));
  p.end();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, messages };
}

/** Median MiB/s of small and large, measured alternately (ABAB) so load noise hits both alike. */
function throughputPair(small: Buffer, large: Buffer, runs = 5): [number, number] {
  for (let w = 0; w < 3; w++) decodeSeconds(small); // warm up the JIT on this input kind
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < runs; r++) {
    a.push(small.length / MB / decodeSeconds(small).seconds);
    b.push(large.length / MB / decodeSeconds(large).seconds);
  }
  return [median(a), median(b)];
}

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const kinds: [string, (n: number) => Buffer][] = [
    ['clean frames', cleanStream],
    ['random garbage', (n) => randomBytes(n)],
    ['adversarial headers (LEN=512 every 6 bytes)', adversarialStream],
  ];
  for (const [name, make] of kinds) {
    const [small, large] = throughputPair(make(4 * MB), make(16 * MB));
    out.push({ name: `decode ${name}, 4 MiB`, value: round(small, 1), unit: 'MiB/s' });
    out.push({ name: `decode ${name}, 16 MiB`, value: round(large, 1), unit: 'MiB/s' });
    out.push({ name: `  linearity ${name}: rate(16 MiB)/rate(4 MiB)`, value: round(large / small), unit: '×', note: '≈1 means linear' });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) console.log(r.name, r.value, r.unit);
}
