// What the store accepts, checked at its boundary: a row that does not parse is rejected with
// the field path and nothing is written (DESIGN.md rule 4). The pseudonym pattern is the last
// guard against a raw credential reaching the disk (rule 5): a card number cannot match it.
// Names, pseudonyms and the impression record come from the cloud-link contract.
import { DOOR_STATES, METHODS } from '@doorcast/firmware-protocol';
import { z } from 'zod';
import type { Stamp } from '../clock/clock.js';
import type { DoorEventRow } from '../ingest/pipeline.js';
import { type ImpressionRecord, ImpressionRecordSchema, NameSchema, PseudonymSchema, UuidSchema } from './cloud-contract.js';
import { StoreError } from './errors.js';

export { NameSchema, PseudonymSchema };
/** A site-local calendar day. */
export const DaySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'day: YYYY-MM-DD');

const label = z.string().min(1).max(64);
const epochMs = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

export const StampSchema = z.strictObject({
  wallMs: epochMs,
  bootId: label,
  monoMs: epochMs,
  clockSynced: z.boolean(),
});

/** One door event as stored. Strict: an unknown field (say, `credential`) is an error. */
export const DoorEventRowSchema = z
  .strictObject({
    controllerId: label,
    /** PROTOCOL.md §4.1: 32-bit, ≥ 1; null when the source has none (GPIO). */
    seq: z.int().min(1).max(0xffff_ffff).nullable(),
    source: label,
    door: label,
    kind: z.enum(['unlock', 'door-state']),
    method: z.enum(METHODS).nullable(),
    granted: z.boolean().nullable(),
    reason: z.int().min(0).max(255).nullable(),
    state: z.enum(DOOR_STATES).nullable(),
    pseudonym: PseudonymSchema.nullable(),
    keyId: z.string().min(1).max(32).nullable(),
    controllerTimeMs: epochMs,
    wallTimeMs: epochMs,
    bootId: label,
    monoMs: epochMs,
    clockSynced: z.boolean(),
  })
  .superRefine((r, ctx) => {
    const need = (ok: boolean, path: keyof DoorEventRow, message: string) => ok || ctx.addIssue({ code: 'custom', path: [path], message });
    if (r.kind === 'unlock') {
      need(r.method !== null, 'method', 'an unlock has a method');
      need(r.granted !== null, 'granted', 'an unlock says whether it was granted');
      need(r.state === null, 'state', 'an unlock has no door state');
    } else {
      need(r.state !== null, 'state', 'a door-state event has a state');
      need(r.method === null && r.granted === null && r.pseudonym === null, 'method', 'a door-state event has no method, grant or pseudonym');
    }
    need((r.pseudonym === null) === (r.keyId === null), 'keyId', 'keyId is set exactly when there is a pseudonym');
  }) satisfies z.ZodType<DoorEventRow>;

/**
 * One play as the player reports it: the cloud's impression record (CLOUD-LINK.md §5.1)
 * without the fields the store owns, deviceSeq and the time stamp. Strict: nothing unknown is
 * persisted.
 */
export const PlaySchema = z.strictObject(ImpressionRecordSchema.omit({ deviceSeq: true, wallTime: true, bootId: true, monoMs: true, clockSynced: true }).shape);
export type Play = z.infer<typeof PlaySchema>;

/** Impressions go to the cloud, whose contract wants the kernel boot id (a UUID). */
export const ImpressionStampSchema = StampSchema.extend({ bootId: UuidSchema });

/** An outbox row as the cloud link sends it: the play, its device sequence number and its (corrected) time. */
export type QueuedImpression = Play & Pick<ImpressionRecord, 'deviceSeq' | 'wallTime' | 'bootId' | 'monoMs' | 'clockSynced'>;

export const CounterDeltaSchema = z.strictObject({
  pseudonym: PseudonymSchema,
  campaign: NameSchema,
  day: DaySchema,
  completed: z.boolean(),
});
export type CounterDelta = z.infer<typeof CounterDeltaSchema>;

export const CachedManifestSchema = z.strictObject({
  version: z.int().min(0),
  /** The manifest body, JSON text exactly as signed. */
  body: z.string().min(2),
  signature: z.string().min(1),
  keyId: z.string().min(1).max(64),
  appliedMs: epochMs,
});
export type CachedManifest = z.infer<typeof CachedManifestSchema>;

/** A sync_state entry: bounded key and value. */
export const SyncEntrySchema = z.strictObject({ key: z.string().min(1).max(128), value: z.string().max(64 * 1024) });

/** Parses `value`, or throws StoreError('invalid') naming the first bad field. */
export function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new StoreError('invalid', `${what}: ${issues.join('; ')}`, { issues });
}

export type { Stamp };
