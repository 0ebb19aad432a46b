// Hourly door-event counts (device → cloud). CLOUD-LINK.md §5.2.
import { z } from 'zod';
import { TimestampSchema, UuidSchema } from './ids.js';
import { batchSchema, DeviceSeqSchema } from './impressions.js';

const count = z.int().min(0).max(10_000_000);

/** One door, one clock hour. Sent once the hour has closed. */
export const DoorCountRecordSchema = z.looseObject({
  /** Sequence in the device's door-count space (separate from impressions). */
  deviceSeq: DeviceSeqSchema,
  door: z.int().min(1).max(16),
  /** Start of the hour, UTC, on the hour (…T09:00:00.000Z). */
  hourStart: TimestampSchema.refine((s) => {
    const t = Date.parse(s);
    return Number.isFinite(t) && t % 3_600_000 === 0;
  }, 'hourStart must be on the hour'),
  unlocksGranted: count,
  unlocksDenied: count,
  doorOpens: count,
  /** Impressions started in this hour at this door. */
  impressions: count,
  bootId: UuidSchema,
  clockSynced: z.boolean(),
});
export type DoorCountRecord = z.infer<typeof DoorCountRecordSchema>;

export const DoorCountBatchSchema = batchSchema(DoorCountRecordSchema);
export type DoorCountBatch = z.infer<typeof DoorCountBatchSchema>;
