// The JSON form of messages: what the CLI reads and writes and what vectors/ holds.
// Identical to Message except credential bytes, which are lowercase hex.
import { z } from 'zod';
import { CAPABILITIES, DOOR_STATES, MAX_CREDENTIAL_LENGTH, METHODS, NAK_REASONS } from './constants.js';
import type { Message } from './message.js';

const u8 = z.number().int().min(0).max(0xff);
const u16 = z.number().int().min(0).max(0xffff);
const u32 = z.number().int().min(0).max(0xffffffff);
const seq = z.number().int().min(1).max(0xffffffff);
const time = z.number().int().min(0);
const door = z.number().int().min(1).max(16);
const text = z.string().max(32);

export const MessageJsonSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    protocolVersion: u8.min(1),
    doorCount: door,
    capabilities: z.array(z.enum(CAPABILITIES)),
    ringCapacity: u16.min(1),
    lastSeq: u32,
    controllerId: text,
    firmware: text,
  }),
  z.object({
    type: z.literal('unlock'),
    seq,
    time,
    door,
    method: z.enum(METHODS),
    granted: z.boolean(),
    reason: u8,
    credential: z
      .string()
      .regex(/^([0-9a-f]{2})*$/i, 'hex bytes')
      .max(MAX_CREDENTIAL_LENGTH * 2),
  }),
  z.object({ type: z.literal('door-state'), seq, time, door, state: z.enum(DOOR_STATES) }),
  z.object({ type: z.literal('heartbeat'), time, lastSeq: u32, pending: u16, dropped: u32 }),
  z.object({ type: z.literal('agent-hello'), protocolVersion: u8.min(1) }),
  z.object({ type: z.literal('ack'), seq }),
  z.object({ type: z.literal('nak'), seq, reason: z.enum(NAK_REASONS) }),
  z.object({ type: z.literal('time-set'), time }),
]);
export type MessageJson = z.infer<typeof MessageJsonSchema>;

export function toJson(m: Message): MessageJson {
  return m.type === 'unlock' ? { ...m, credential: Buffer.from(m.credential).toString('hex') } : m;
}

/** Parses the JSON form; throws a ZodError whose issues carry the field path. */
export function fromJson(value: unknown): Message {
  const j = MessageJsonSchema.parse(value);
  return j.type === 'unlock' ? { ...j, credential: Buffer.from(j.credential, 'hex') } : j;
}

/** "path: message" lines for a failed parse, the way config errors are reported. */
export function describeIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}
