// Impression batches (device → cloud). CLOUD-LINK.md §5.1.
import { z } from 'zod';
import { DeviceIdSchema, NameSchema, PseudonymSchema, SiteIdSchema, TimestampSchema, UuidSchema } from './ids.js';
import { MAX_BATCH_RECORDS, MAX_SEGMENTS } from './limits.js';

const ms = z.number().finite().min(0).max(24 * 3600 * 1000);
const count = z.int().min(0).max(1_000_000);

/** The per-device sequence number: ≥ 1, never reused by a device. CLOUD-LINK.md §5.1 */
export const DeviceSeqSchema = z.int().min(1).max(Number.MAX_SAFE_INTEGER);

/** One proof-of-play record. Unknown fields are tolerated and kept; known ones are checked. */
export const ImpressionRecordSchema = z.looseObject({
  impressionId: UuidSchema,
  deviceSeq: DeviceSeqSchema,
  campaignId: NameSchema,
  creativeId: NameSchema,
  /** Door number on the controller (doorlink: 1–16). */
  door: z.int().min(1).max(16),
  /** Keyed pseudonym, or null for anonymous plays. Never a raw credential. */
  pseudonym: PseudonymSchema.nullable(),
  segments: z.array(NameSchema).max(MAX_SEGMENTS),
  /** Unlock → creative chosen. */
  decisionLatencyMs: ms,
  /** Unlock → first frame on screen; null when no frame was shown (outcome failed). */
  firstFrameLatencyMs: ms.nullable(),
  framesShown: count,
  framesExpected: count,
  outcome: z.enum(['completed', 'interrupted', 'failed']),
  /** Wall time at unlock, as the device knew it (see clockSynced). CLOUD-LINK.md §2.4 */
  wallTime: TimestampSchema,
  bootId: UuidSchema,
  /** Milliseconds since boot at unlock, monotonic. */
  monoMs: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  clockSynced: z.boolean(),
});
export type ImpressionRecord = z.infer<typeof ImpressionRecordSchema>;

/**
 * The envelope both batch kinds share: batch id, the sender, and 1..MAX_BATCH_RECORDS records
 * whose deviceSeq values are distinct. CLOUD-LINK.md §5
 */
export function batchSchema<R extends z.ZodType<{ deviceSeq: number }>>(record: R) {
  return z
    .looseObject({
      batchId: UuidSchema,
      site: SiteIdSchema,
      device: DeviceIdSchema,
      records: z.array(record).min(1).max(MAX_BATCH_RECORDS),
    })
    .superRefine((b, ctx) => {
      const seen = new Set<number>();
      b.records.forEach((r, i) => {
        if (seen.has(r.deviceSeq)) {
          ctx.addIssue({ code: 'custom', message: `deviceSeq ${r.deviceSeq} repeated in one batch`, path: ['records', i, 'deviceSeq'] });
        }
        seen.add(r.deviceSeq);
      });
    });
}

export const ImpressionBatchSchema = batchSchema(ImpressionRecordSchema);
export type ImpressionBatch = z.infer<typeof ImpressionBatchSchema>;
