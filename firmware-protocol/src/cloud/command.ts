// Commands (cloud → device). Idempotent hints: running one twice is harmless. CLOUD-LINK.md §5.6.
import { z } from 'zod';
import { TimestampSchema, UuidSchema } from './ids.js';

export const COMMAND_NAMES = [
  'publish-state', // publish the state message now
  'flush-outbox', // send unacked batches now instead of waiting for the next tick
  'resync-manifest', // re-verify and re-apply the retained manifest
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export const CommandSchema = z.looseObject({
  cmdId: UuidSchema,
  name: z.enum(COMMAND_NAMES),
  issuedAt: TimestampSchema,
  /** A command older than this is ignored. */
  expiresAt: TimestampSchema.optional(),
});
export type Command = z.infer<typeof CommandSchema>;
