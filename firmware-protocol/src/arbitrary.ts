// fast-check arbitraries for doorlink messages in their JSON form (tests and fuzzing only).
import fc from 'fast-check';
import { CAPABILITIES, DOOR_STATES, METHODS, NAK_REASONS } from './constants.js';
import type { MessageJson } from './json.js';

const seq = fc.integer({ min: 1, max: 0xffffffff });
const time = fc.oneof(fc.constant(0), fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }));
const door = fc.integer({ min: 1, max: 16 });
const u8 = fc.integer({ min: 0, max: 255 });
const text = fc.string({ maxLength: 10 }).filter((s) => Buffer.byteLength(s) <= 32);
const hex = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b).toString('hex'));

export const arbMessageJson: fc.Arbitrary<MessageJson> = fc.oneof(
  fc.record({
    type: fc.constant('hello' as const),
    protocolVersion: fc.integer({ min: 1, max: 255 }),
    doorCount: door,
    capabilities: fc.subarray([...CAPABILITIES]),
    ringCapacity: fc.integer({ min: 1, max: 0xffff }),
    lastSeq: fc.integer({ min: 0, max: 0xffffffff }),
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
    reason: u8,
    credential: hex(64),
  }),
  fc.record({ type: fc.constant('door-state' as const), seq, time, door, state: fc.constantFrom(...DOOR_STATES) }),
  fc.record({
    type: fc.constant('heartbeat' as const),
    time,
    lastSeq: fc.integer({ min: 0, max: 0xffffffff }),
    pending: fc.integer({ min: 0, max: 0xffff }),
    dropped: fc.integer({ min: 0, max: 0xffffffff }),
  }),
  fc.record({ type: fc.constant('agent-hello' as const), protocolVersion: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ type: fc.constant('ack' as const), seq }),
  fc.record({ type: fc.constant('nak' as const), seq, reason: fc.constantFrom(...NAK_REASONS) }),
  fc.record({ type: fc.constant('time-set' as const), time }),
);
