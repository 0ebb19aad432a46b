// The per-device manifest: what one device may play, signed by the cloud. CLOUD-LINK.md §6.
import { z } from 'zod';
import { DeviceIdSchema, PseudonymSchema, Sha256Schema, SiteIdSchema, TimestampSchema } from './ids.js';
import { MAX_CREATIVE_BYTES, MAX_MANIFEST_CREATIVES, MAX_MANIFEST_PSEUDONYMS, MAX_MANIFEST_RULES } from './limits.js';

export const ManifestCreativeSchema = z.looseObject({
  sha256: Sha256Schema,
  /** Where to fetch it: a path on the broker's HTTP origin (/creatives/<sha256>) or an https URL. */
  url: z.string().min(1).max(2048),
  bytes: z.int().min(1).max(MAX_CREATIVE_BYTES),
});
export type ManifestCreative = z.infer<typeof ManifestCreativeSchema>;

/**
 * The campaign set is defined by the agent's targeting (agent/src/targeting/campaign.ts); the
 * link only checks its outer shape and carries it untouched. CLOUD-LINK.md §6.1
 */
export const CampaignSetSchema = z.looseObject({ campaigns: z.array(z.unknown()).max(MAX_MANIFEST_RULES) });

const hhmm = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'HH:MM, 00:00–23:59');

/** No personalised or promotional play in this window (site-local time, see `timezone`). */
export const QuietWindowSchema = z.looseObject({
  /** 0 = Sunday … 6 = Saturday; absent = every day. */
  days: z.array(z.int().min(0).max(6)).max(7).optional(),
  start: hhmm,
  /** Exclusive; end < start spans midnight. */
  end: hhmm,
});

export const ManifestBodySchema = z.looseObject({
  site: SiteIdSchema,
  device: DeviceIdSchema,
  /** Strictly increasing per device; a device refuses a version ≤ the one it runs. */
  version: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
  issuedAt: TimestampSchema,
  /** IANA zone for quietHours, e.g. Asia/Shanghai. */
  timezone: z.string().min(1).max(64),
  campaignSet: CampaignSetSchema,
  creatives: z.array(ManifestCreativeSchema).max(MAX_MANIFEST_CREATIVES),
  /** Opaque to the link (targeting defines them); each must be an object. */
  segmentRules: z.array(z.looseObject({})).max(MAX_MANIFEST_RULES),
  /** Residents whose consent to personalised content the property has recorded. */
  consent: z.array(PseudonymSchema).max(MAX_MANIFEST_PSEUDONYMS),
  /** Residents who opted out: never personalised, whatever consent says. */
  optOuts: z.array(PseudonymSchema).max(MAX_MANIFEST_PSEUDONYMS),
  quietHours: z.array(QuietWindowSchema).max(MAX_MANIFEST_RULES),
});
export type ManifestBody = z.infer<typeof ManifestBodySchema>;

/** What travels on the manifest topic. `body` is canonical JSON of a ManifestBody. §6.2 */
export const ManifestEnvelopeSchema = z.looseObject({
  body: z.string().min(2),
  /** Ed25519 signature, 64 bytes, standard base64. */
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'signature: 64 bytes, base64'),
  keyId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'keyId: 1–64 of A–Z a–z 0–9 . _ : -'),
});
export type ManifestEnvelope = z.infer<typeof ManifestEnvelopeSchema>;
