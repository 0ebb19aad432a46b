// Commands (cloud → device). Idempotent hints: running one twice is harmless. CLOUD-LINK.md §5.6.
import { z } from 'zod';
import { TimestampSchema, UuidSchema } from './ids.js';

export const COMMAND_NAMES = [
  'publish-state', // publish the state message now
  'flush-outbox', // send unacked batches now instead of waiting for the next tick
  'resync-manifest', // re-verify and re-apply the retained manifest
  'update', // install `release` and restart into it; rolled back unless it confirms (agent/src/update)
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** An agent release package: fetched by URL, checked by size and sha256 before use. */
export const ReleaseRefSchema = z.looseObject({
  version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/, 'version: 1–64 of 0-9 A-Z a-z . + -'),
  url: z.string().regex(/^https?:\/\//, 'http:// or https:// URL').max(2048),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256: 64 lowercase hex'),
  bytes: z.int().min(1).max(512 * 2 ** 20),
});

export const CommandSchema = z
  .looseObject({
    cmdId: UuidSchema,
    name: z.enum(COMMAND_NAMES),
    issuedAt: TimestampSchema,
    /** A command older than this is ignored. */
    expiresAt: TimestampSchema.optional(),
    /** For update: what to install. */
    release: ReleaseRefSchema.optional(),
  })
  .refine((c) => c.name !== 'update' || c.release !== undefined, { message: 'an update command names its release', path: ['release'] });
export type Command = z.infer<typeof CommandSchema>;
