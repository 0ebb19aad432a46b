// The campaign set as the manifest carries it (CLOUD-LINK.md §6.1: opaque to the link,
// defined here). Rules are data: dates, days, dayparts, scope, tiers, share of voice, caps,
// suppression, segment targeting, quiet hours. Every list and string is bounded.
import { z } from 'zod';

const Name = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'name: 1–128 of A–Z a–z 0–9 . _ : -');
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');
export const HhmmSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 00:00–23:59');
/** end ≤ start spans midnight (e.g. 22:00–06:00). */
export const WindowSchema = z.strictObject({ start: HhmmSchema, end: HhmmSchema });
const Days = z.array(z.int().min(0).max(6)).min(1).max(7);

export const TIERS = ['paid', 'property', 'house'] as const;
export type Tier = (typeof TIERS)[number];

export const CreativeSchema = z.strictObject({
  id: Name,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256: 64 lowercase hex'),
  durationMs: z.int().min(500).max(120_000),
  /** The part that must be seen for the play to mean anything (the offer, the logo). */
  firstSecondsMs: z.int().min(0).max(120_000).default(2000),
});
export type Creative = z.infer<typeof CreativeSchema>;

export const CapsSchema = z.strictObject({
  /** Plays of this campaign to one resident per site-local day. */
  perDay: z.int().min(1).max(100).default(2),
  perWeek: z.int().min(1).max(700).optional(),
});

export const SuppressionSchema = z.strictObject({
  /** Completed plays (in the history window) after which a resident no longer sees it. */
  afterCompletions: z.int().min(1).max(1000).optional(),
  /** Negative feedback from a resident suppresses the campaign for them. */
  onNegativeFeedback: z.boolean().default(true),
});

export const CampaignSchema = z
  .strictObject({
    id: Name,
    tier: z.enum(TIERS),
    /** Booked share of voice within its tier, 0 < share ≤ 1 (weights are normalised over the eligible). */
    share: z.number().gt(0).max(1).default(1),
    dates: z.strictObject({ from: Day, to: Day }),
    /** Site-local days, 0 = Sunday; absent = every day. */
    days: Days.optional(),
    /** Site-local windows; absent = all day. */
    dayparts: z.array(WindowSchema).min(1).max(8).optional(),
    /** Door ids (agent config); absent = every door of the device. */
    doors: z.array(Name).min(1).max(64).optional(),
    /** Personalised: shown only to consenting residents in one of these segments. */
    segments: z.array(Name).min(1).max(16).optional(),
    caps: CapsSchema.prefault({}),
    suppression: SuppressionSchema.prefault({}),
    creatives: z.array(CreativeSchema).min(1).max(16),
  })
  .refine((c) => c.dates.from <= c.dates.to, { message: 'dates.from must not be after dates.to', path: ['dates', 'to'] });
export type Campaign = z.infer<typeof CampaignSchema>;

export const SegmentRuleSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    name: Name,
    /** Passed during [start, end) on at least minDays distinct days of the last lastDays. */
    kind: z.literal('window-days'),
    window: WindowSchema,
    days: Days.optional(),
    minDays: z.int().min(1).max(28),
    lastDays: z.int().min(1).max(28).default(28),
  }),
  z.strictObject({
    name: Name,
    /** At least minPerDay passages on average per active day over the last lastDays. */
    kind: z.literal('passes-per-day'),
    minPerDay: z.number().min(0.1).max(100),
    lastDays: z.int().min(1).max(28).default(28),
  }),
]);
export type SegmentRule = z.infer<typeof SegmentRuleSchema>;

export const QuietHoursSchema = WindowSchema.extend({ days: Days.optional(), dim: z.boolean().default(false) });

export const CampaignSetSchema = z.strictObject({
  campaigns: z.array(CampaignSchema).max(1000),
  /** Plays of all campaigns to one resident per day. */
  globalPerDay: z.int().min(1).max(1000).default(8),
  segmentRules: z.array(SegmentRuleSchema).max(100).default([]),
  quietHours: z.array(QuietHoursSchema).max(16).default([]),
});
export type CampaignSet = z.infer<typeof CampaignSetSchema>;

export class CampaignSetError extends Error {
  override readonly name = 'CampaignSetError';
  constructor(readonly issues: string[]) {
    super(`invalid campaign set: ${issues.slice(0, 5).join('; ')}${issues.length > 5 ? ` (+${issues.length - 5} more)` : ''}`);
  }
}

/** Validates a campaign set from a manifest; throws CampaignSetError naming each bad path. */
export function parseCampaignSet(value: unknown): CampaignSet {
  const r = CampaignSetSchema.safeParse(value);
  if (r.success) return r.data;
  throw new CampaignSetError(r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
}
