// Writes the golden vectors. Run once when the protocol changes (npx tsx vectors/generate.ts),
// review the diff by hand, and commit. Tests never regenerate them.
import { writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { crc8, type Decoded, DoorlinkParser, encode, encodeFrame, fromJson, type MessageJson, toJson } from '../src/index.js';

const messages: [string, MessageJson][] = [
  ['hello', { type: 'hello', protocolVersion: 1, doorCount: 2, capabilities: ['card', 'qr', 'face', 'door-sensor', 'time-set'], ringCapacity: 256, lastSeq: 41, controllerId: 'DC-0042', firmware: '1.4.2' }],
  ['hello-minimal', { type: 'hello', protocolVersion: 1, doorCount: 1, capabilities: [], ringCapacity: 1, lastSeq: 0, controllerId: '', firmware: '' }],
  ['unlock-card-granted', { type: 'unlock', seq: 42, time: 1767250800123, door: 1, method: 'card', granted: true, reason: 0, credential: '04a1b2c3' }],
  ['unlock-qr-denied', { type: 'unlock', seq: 43, time: 1767251000000, door: 2, method: 'qr', granted: false, reason: 2, credential: '646f6f72636173743a71723a3132333435' }],
  ['unlock-face-granted', { type: 'unlock', seq: 44, time: 1767290400999, door: 1, method: 'face', granted: true, reason: 0, credential: '0000303a' }],
  ['unlock-pin', { type: 'unlock', seq: 45, time: 1767290401000, door: 16, method: 'pin', granted: true, reason: 0, credential: '31323334' }],
  ['unlock-remote-no-credential', { type: 'unlock', seq: 46, time: 0, door: 3, method: 'remote', granted: true, reason: 0, credential: '' }],
  ['unlock-exit-button', { type: 'unlock', seq: 4294967295, time: 1767290402500, door: 1, method: 'exit-button', granted: true, reason: 0, credential: '' }],
  ['unlock-max-credential', { type: 'unlock', seq: 47, time: 1767290403000, door: 1, method: 'card', granted: true, reason: 0, credential: 'ab'.repeat(64) }],
  ['door-opened', { type: 'door-state', seq: 48, time: 1767250801500, door: 1, state: 'opened' }],
  ['door-closed', { type: 'door-state', seq: 49, time: 1767250806000, door: 1, state: 'closed' }],
  ['door-held-open', { type: 'door-state', seq: 50, time: 1767250866000, door: 2, state: 'held-open' }],
  ['door-forced-open', { type: 'door-state', seq: 51, time: 1767254400000, door: 4, state: 'forced-open' }],
  ['heartbeat', { type: 'heartbeat', time: 1767250805000, lastSeq: 51, pending: 3, dropped: 0 }],
  ['agent-hello', { type: 'agent-hello', protocolVersion: 1 }],
  ['ack', { type: 'ack', seq: 1 }],
  ['ack-42', { type: 'ack', seq: 42 }],
  ['nak-storage', { type: 'nak', seq: 42, reason: 'storage-unavailable' }],
  ['nak-rejected', { type: 'nak', seq: 7, reason: 'rejected' }],
  ['time-set', { type: 'time-set', time: 1767250800000 }],
];

const frames = messages.map(([name, message]) => ({ name, hex: encode(fromJson(message)).toString('hex'), message }));
writeFileSync(new URL('frames.json', import.meta.url), `${JSON.stringify(frames, null, 2)}\n`);

const hex = (name: string) => frames.find((f) => f.name === name)!.hex;
const badCrc = (h: string) => h.slice(0, -4) + (((Number.parseInt(h.slice(-4), 16) ^ 0x0100) >>> 0).toString(16).padStart(4, '0'));
// A header with a valid HCS announcing 2000 bytes: SOM VER LEN=0x07D0 TYPE=0x10 HCS
const oversize = Buffer.from([0xd5, 0x01, 0xd0, 0x07, 0x10, 0]);
oversize[5] = crc8(oversize, 1, 5);
const streams: [string, string][] = [
  ['garbage-then-frame', `00ff13d5d5aa${hex('ack-42')}`],
  ['frame-garbage-frame', `${hex('door-opened')}deadbeef${hex('door-closed')}`],
  ['bad-crc-then-good', `${badCrc(hex('unlock-card-granted'))}${hex('unlock-qr-denied')}`],
  ['truncated-then-good', `${hex('unlock-card-granted').slice(0, 30)}${hex('heartbeat')}`],
  ['unknown-type-skipped', `${encodeFrame(0x7e, Buffer.from([1, 2, 3])).toString('hex')}${hex('ack')}`],
  ['version-2-skipped', `${encodeFrame(0x81, Buffer.from([1, 0, 0, 0]), 2).toString('hex')}${hex('ack')}`],
  ['bad-payload-door-0', `${encodeFrame(0x11, Buffer.from([9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])).toString('hex')}${hex('door-closed')}`],
  ['length-out-of-range', `${oversize.toString('hex')}${hex('ack')}`],
  ['frame-hidden-in-false-header', `d5010c00816200${hex('time-set')}`],
  ['trailing-bytes-ignored', encodeFrame(0x81, Buffer.from([5, 0, 0, 0, 0xee, 0xee])).toString('hex')],
];

async function run(h: string): Promise<unknown[]> {
  const out: unknown[] = [];
  const p = new DoorlinkParser({ interByteTimeoutMs: 0 });
  p.on('data', (d: Decoded) => out.push(d.kind === 'message' ? { message: toJson(d.message) } : { error: d.error.code, bytes: d.error.bytes }));
  await new Promise((res, rej) => Readable.from([Buffer.from(h, 'hex')]).pipe(p).on('finish', res).on('error', rej));
  return out;
}
const streamVectors = [];
for (const [name, h] of streams) streamVectors.push({ name, hex: h, expect: await run(h) });
writeFileSync(new URL('streams.json', import.meta.url), `${JSON.stringify(streamVectors, null, 2)}\n`);
console.log(`${frames.length} frames, ${streamVectors.length} streams`);
