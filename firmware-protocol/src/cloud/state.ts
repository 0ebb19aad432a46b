// Device state (device → cloud, retained; the last will marks it offline). CLOUD-LINK.md §5.4.
import { z } from 'zod';
import { TimestampSchema, UuidSchema } from './ids.js';

export const OnlineStateSchema = z.looseObject({
  online: z.literal(true),
  agentVersion: z.string().min(1).max(64),
  /** Version of the manifest the agent is running; 0 before the first one. */
  manifestVersion: z.int().min(0),
  /** Impressions not yet acked by the cloud. */
  outboxDepth: z.int().min(0),
  /** Age of the oldest of them, seconds; 0 when the outbox is empty. */
  oldestUnsyncedAgeS: z.number().finite().min(0),
  bootId: UuidSchema,
  ts: TimestampSchema,
});

/** The last will, and what an agent publishes before a clean disconnect. Other fields optional. */
export const OfflineStateSchema = z.looseObject({
  online: z.literal(false),
  agentVersion: z.string().min(1).max(64).optional(),
  manifestVersion: z.int().min(0).optional(),
  outboxDepth: z.int().min(0).optional(),
  oldestUnsyncedAgeS: z.number().finite().min(0).optional(),
  bootId: UuidSchema.optional(),
  ts: TimestampSchema.optional(),
});

export const StateSchema = z.discriminatedUnion('online', [OnlineStateSchema, OfflineStateSchema]);
export type State = z.infer<typeof StateSchema>;

/** The payload to set as the MQTT last will on the state topic (retained, QoS 1). §5.4 */
export const OFFLINE_WILL_PAYLOAD = '{"online":false}';
/** Plain clients may send this bare string instead; it parses as { online: false }. §5.4 */
export const OFFLINE_BARE_PAYLOAD = 'offline';
