// Application-level acks (cloud → device), sent only after the store has committed.
// CLOUD-LINK.md §5.3.
import { z } from 'zod';
import { TimestampSchema, UuidSchema } from './ids.js';
import { SeqRangesSchema } from './seq-ranges.js';

/** Why a batch was refused. CLOUD-LINK.md §5.3 */
export const REJECT_REASONS = ['not-json', 'schema', 'too-large', 'wrong-device'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export const AckSchema = z
  .looseObject({
    batchId: UuidSchema,
    /** Which outbox the batch came from. */
    kind: z.enum(['impressions', 'door-counts']),
    status: z.enum(['committed', 'rejected']),
    /** committed: every seq of the batch, now durable in the cloud (stored now or before). */
    seqs: SeqRangesSchema,
    /** committed: seqs already stored with a different record id (the device reused a seq). */
    conflicts: SeqRangesSchema.optional(),
    reason: z.enum(REJECT_REASONS).optional(),
    /** rejected with reason schema: the dotted path of the first bad field. */
    path: z.string().max(256).optional(),
    detail: z.string().max(512).optional(),
    ts: TimestampSchema,
  })
  .superRefine((a, ctx) => {
    if (a.status === 'rejected' && a.reason === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a rejected ack needs a reason', path: ['reason'] });
    }
    if (a.status === 'committed' && a.seqs.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'a committed ack names at least one seq', path: ['seqs'] });
    }
  });
export type Ack = z.infer<typeof AckSchema>;
