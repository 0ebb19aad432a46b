// The campaign set as the manifest carries it (CLOUD-LINK.md §6.1: opaque to the link,
// defined here). Rules are data: dates, days, dayparts, site and door scope, tiers, share of
// voice, caps, suppression, segment targeting and the segment rules, quiet hours. Every list
// and string is bounded; unknown fields are errors.
import { z } from 'zod';

export const NameSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'name: 1–128 of A–Z a–z 0–9 . _ : -');
const Day = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'YYYY-MM-DD');
export const HhmmSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 00:00–23:59');
/** [start, end) site-local; end ≤ start spans midnight (e.g. 22:00–06:00). */
export const WindowSchema = z.strictObject({ start: HhmmSchema, end: HhmmSchema });
/** Site-local days of the week, 0 = Sunday. */
export const DaysSchema = z.array(z.int().min(0).max(6)).min(1).max(7);

/** Highest priority first: paid campaigns, then the property's own notices, then house filler. */
export const TIERS = ['paid', 'property', 'house'] as const;
export type Tier = (typeof TIERS)[number];

export const CreativeSchema = z.strictObject({
  id: NameSchema,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256: 64 lowercase hex'),
  durationMs: z.int().min(500).max(120_000),
  /** The part that must be seen for the play to mean anything (the offer, the logo); capped at durationMs. */
  firstSecondsMs: z.int().min(0).max(120_000).default(2000),
});
export type Creative = z.infer<typeof CreativeSchema>;

const PerDay = z.int().min(1).max(100);
const PerWeek = z.int().min(1).max(700);
const AfterCompletions = z.int().min(1).max(1000);

export const CampaignSchema = z
  .strictObject({
    id: NameSchema,
    tier: z.enum(TIERS),
    /** Booked share of voice within its tier: a fraction or a weight, normalised over the campaigns eligible at the moment. */
    share: z.number().gt(0).max(1000).default(1),
    /** Inclusive, site-local days. */
    dates: z.strictObject({ from: Day, to: Day }),
    /** Absent: every day. */
    days: DaysSchema.optional(),
    /** Absent: all day. */
    dayparts: z.array(WindowSchema).min(1).max(8).optional(),
    /** Absent lists: every site, every door of the device. */
    scope: z.strictObject({ sites: z.array(NameSchema).min(1).max(256).optional(), doors: z.array(NameSchema).min(1).max(64).optional() }).prefault({}),
    /** Personalised: shown only to consenting residents in at least one of these segments. */
    segments: z.array(NameSchema).min(1).max(16).optional(),
    /** Overrides of the set's defaults. */
    caps: z.strictObject({ perDay: PerDay.optional(), perWeek: PerWeek.optional() }).prefault({}),
    suppression: z.strictObject({ afterCompletions: AfterCompletions.optional(), onNegativeFeedback: z.boolean().optional() }).prefault({}),
    creatives: z.array(CreativeSchema).min(1).max(16),
  })
  .superRefine((c, ctx) => {
    if (c.dates.from > c.dates.to) ctx.addIssue({ code: 'custom', path: ['dates', 'to'], message: 'dates.to is before dates.from' });
    const seen = new Set<string>();
    c.creatives.forEach((cr, i) => {
      if (seen.has(cr.id)) ctx.addIssue({ code: 'custom', path: ['creatives', i, 'id'], message: `duplicate creative id ${cr.id}` });
      seen.add(cr.id);
    });
  });
export type Campaign = z.infer<typeof CampaignSchema>;

/**
 * Segment rules: evaluated on the device over a resident's own passages (segments.ts); only
 * the names ever leave it. Both kinds look at the last `lastDays` site-local days (≤ 28).
 */
export const SegmentRuleSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    name: NameSchema,
    /** Passed during `window` (on `days`, at `doors`) on at least minDays distinct days. */
    kind: z.literal('window-days'),
    window: WindowSchema,
    days: DaysSchema.optional(),
    doors: z.array(NameSchema).min(1).max(64).optional(),
    minDays: z.int().min(1).max(28),
    lastDays: z.int().min(1).max(28).default(28),
  }),
  z.strictObject({
    name: NameSchema,
    /** On at least minDays days, and at least minPerDay passages per such day on average. */
    kind: z.literal('passes-per-day'),
    minPerDay: z.number().min(0.1).max(100),
    minDays: z.int().min(1).max(28).default(3),
    lastDays: z.int().min(1).max(28).default(28),
  }),
]);
export type SegmentRule = z.infer<typeof SegmentRuleSchema>;

/** Audio muted (and the screen dimmed when `dim`) in these site-local windows. */
export const QuietHoursSchema = WindowSchema.extend({ days: DaysSchema.optional(), dim: z.boolean().default(false) });

export const DefaultsSchema = z.strictObject({
  caps: z.strictObject({ perDay: PerDay.default(2), perWeek: PerWeek.optional() }).prefault({}),
  suppression: z.strictObject({ afterCompletions: AfterCompletions.optional(), onNegativeFeedback: z.boolean().default(true) }).prefault({}),
});

export const CampaignSetSchema = z
  .strictObject({
    campaigns: z.array(CampaignSchema).max(1000),
    defaults: DefaultsSchema.prefault({}),
    /** Plays of all campaigns to one resident per site-local day. */
    globalPerDay: z.int().min(1).max(1000).default(8),
    segmentRules: z.array(SegmentRuleSchema).max(100).default([]),
    quietHours: z.array(QuietHoursSchema).max(16).default([]),
  })
  .superRefine((s, ctx) => {
    // Counters and pacing are keyed by campaign id: two campaigns with one id would share them.
    const seen = new Set<string>();
    s.campaigns.forEach((c, i) => {
      if (seen.has(c.id)) ctx.addIssue({ code: 'custom', path: ['campaigns', i, 'id'], message: `duplicate campaign id ${c.id}` });
      seen.add(c.id);
    });
    const names = new Set<string>();
    s.segmentRules.forEach((r, i) => {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['segmentRules', i, 'name'], message: `duplicate segment rule ${r.name}` });
      names.add(r.name);
    });
  });
export type CampaignSet = z.infer<typeof CampaignSetSchema>;

export interface CampaignSetIssue {
  /** e.g. 'campaigns.3.dayparts.0.end' */
  path: string;
  message: string;
}

export class CampaignSetError extends Error {
  override readonly name = 'CampaignSetError';
  readonly code = 'invalid-campaign-set';
  /** 'path: message' per problem. */
  readonly issues: string[];
  constructor(readonly details: CampaignSetIssue[]) {
    const issues = details.map((d) => `${d.path}: ${d.message}`);
    super(`invalid campaign set: ${issues.slice(0, 5).join('; ')}${issues.length > 5 ? ` (+${issues.length - 5} more)` : ''}`);
    this.issues = issues;
  }
}

/** Validates a campaign set from a manifest or a local file; throws CampaignSetError naming each bad path. */
export function parseCampaignSet(value: unknown): CampaignSet {
  const r = CampaignSetSchema.safeParse(value);
  if (r.success) return r.data;
  throw new CampaignSetError(r.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })));
}
