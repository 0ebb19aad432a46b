// One entry point per direction: parse(kind, bytes) on receipt, encode(kind, value) before
// publishing. Both sides reject with the same reasons and paths. CLOUD-LINK.md §4, §5.
import type { z } from 'zod';
import { type Ack, AckSchema } from './ack.js';
import { type Command, CommandSchema } from './command.js';
import { type DoorCountBatch, DoorCountBatchSchema } from './door-counts.js';
import { type ImpressionBatch, ImpressionBatchSchema } from './impressions.js';
import { MAX_CONTROL_PAYLOAD_BYTES, MAX_MANIFEST_BYTES, MAX_UP_PAYLOAD_BYTES } from './limits.js';
import { type ManifestEnvelope, ManifestEnvelopeSchema } from './manifest.js';
import { OFFLINE_BARE_PAYLOAD, type State, StateSchema } from './state.js';
import type { TopicKind } from './topics.js';

export interface PayloadTypes {
  impressions: ImpressionBatch;
  'door-counts': DoorCountBatch;
  state: State;
  ack: Ack;
  manifest: ManifestEnvelope;
  cmd: Command;
}

export const PAYLOAD_SCHEMAS: { readonly [K in TopicKind]: z.ZodType<PayloadTypes[K]> } = {
  impressions: ImpressionBatchSchema,
  'door-counts': DoorCountBatchSchema,
  state: StateSchema,
  ack: AckSchema,
  manifest: ManifestEnvelopeSchema,
  cmd: CommandSchema,
};

/** Byte limit of each kind's payload. CLOUD-LINK.md §4 */
export const PAYLOAD_LIMITS: Readonly<Record<TopicKind, number>> = {
  impressions: MAX_UP_PAYLOAD_BYTES,
  'door-counts': MAX_UP_PAYLOAD_BYTES,
  state: MAX_UP_PAYLOAD_BYTES,
  ack: MAX_CONTROL_PAYLOAD_BYTES,
  manifest: MAX_MANIFEST_BYTES,
  cmd: MAX_CONTROL_PAYLOAD_BYTES,
};

export type ParseFailureReason = 'too-large' | 'not-json' | 'schema';

export interface ParseFailure {
  ok: false;
  reason: ParseFailureReason;
  /** Dotted path of the first bad field ('' for the whole payload). */
  path: string;
  message: string;
}
export type ParseResult<T> = { ok: true; value: T } | ParseFailure;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Dotted path of a zod issue path: records.3.deviceSeq */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** The first issue of a failed zod parse as a ParseFailure. */
export function schemaFailure(err: z.ZodError): ParseFailure {
  const i = err.issues[0];
  return { ok: false, reason: 'schema', path: i ? issuePath(i.path) : '', message: i?.message ?? 'invalid' };
}

/** Checks size, UTF-8, JSON and schema, in that order. Never throws. CLOUD-LINK.md §4.2 */
export function parse<K extends TopicKind>(kind: K, payload: Uint8Array | string): ParseResult<PayloadTypes[K]> {
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (bytes > PAYLOAD_LIMITS[kind]) {
    return { ok: false, reason: 'too-large', path: '', message: `${bytes} bytes > ${PAYLOAD_LIMITS[kind]} allowed for ${kind}` };
  }
  let json: unknown;
  try {
    const text = typeof payload === 'string' ? payload : utf8.decode(payload);
    json = kind === 'state' && text === OFFLINE_BARE_PAYLOAD ? { online: false } : JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: 'not-json', path: '', message: (err as Error).message };
  }
  const r = PAYLOAD_SCHEMAS[kind].safeParse(json);
  return r.success ? { ok: true, value: r.data } : schemaFailure(r.error);
}

export class PayloadError extends Error {
  override readonly name = 'PayloadError';
  constructor(
    readonly kind: TopicKind,
    readonly reason: ParseFailureReason,
    readonly path: string,
    message: string,
  ) {
    super(`${kind}: ${reason}${path ? ` at ${path}` : ''}: ${message}`);
  }
}

/** Validates and serialises a payload; throws PayloadError if it would be rejected. */
export function encode<K extends TopicKind>(kind: K, value: PayloadTypes[K]): Buffer {
  const r = PAYLOAD_SCHEMAS[kind].safeParse(value);
  if (!r.success) {
    const f = schemaFailure(r.error);
    throw new PayloadError(kind, f.reason, f.path, f.message);
  }
  const buf = Buffer.from(JSON.stringify(value));
  if (buf.byteLength > PAYLOAD_LIMITS[kind]) {
    throw new PayloadError(kind, 'too-large', '', `${buf.byteLength} bytes > ${PAYLOAD_LIMITS[kind]} allowed`);
  }
  return buf;
}

/** Best effort: the batchId of a payload that failed to parse, so the reject can be acked. */
export function salvageBatchId(payload: Uint8Array, limit = MAX_UP_PAYLOAD_BYTES): string | null {
  if (payload.byteLength > limit) return null;
  try {
    const id = (JSON.parse(utf8.decode(payload)) as { batchId?: unknown } | null)?.batchId;
    return typeof id === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id : null;
  } catch {
    return null;
  }
}
