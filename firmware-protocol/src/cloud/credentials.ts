// The one-time credential bundle a device (or operator) is provisioned with. CLOUD-LINK.md §8
import { z } from 'zod';
import { DeviceIdSchema, SiteIdSchema, TimestampSchema } from './ids.js';

export const CredentialBundleSchema = z.looseObject({
  format: z.literal('doorcast-credentials/1'),
  kind: z.enum(['device', 'operator']),
  /** mqtts://host:8883, mqtt://host:1883, wss://host/mqtt or ws://host/mqtt */
  brokerUrl: z.string().regex(/^(mqtts?|wss?):\/\//, 'mqtt://, mqtts://, ws:// or wss:// URL'),
  /** Origin of the creative server; manifest creative URLs are relative to it. */
  httpUrl: z.string().regex(/^https?:\/\//, 'http:// or https:// URL'),
  username: z.string().min(1).max(256),
  /** The secret. Shown once; the cloud keeps only a hash. Store it 0600. */
  password: z.string().min(16).max(256),
  /** Connect with exactly this client id (CLOUD-LINK.md §3.4). */
  clientId: z.string().min(1).max(256),
  site: SiteIdSchema.optional(),
  device: DeviceIdSchema.optional(),
  /** keyId → raw Ed25519 public key (base64) trusted for manifests. */
  manifestKeys: z.record(z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/), z.string().regex(/^[A-Za-z0-9+/]{43}=$/, '32 bytes, base64')),
  issuedAt: TimestampSchema,
});
export type CredentialBundle = z.infer<typeof CredentialBundleSchema>;
