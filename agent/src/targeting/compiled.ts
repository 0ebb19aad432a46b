// A campaign set turned into what select() needs per unlock: numbers, bit masks and sets
// instead of strings and lists, the set's defaults resolved into each campaign, and scratch
// space so a decision allocates almost nothing. Built once per manifest.
import { type Campaign, type CampaignSet, type Creative, TIERS, type Tier } from './campaign.js';
import { dayNumber, toMinute } from './site-time.js';

export interface CompiledCreative {
  readonly creative: Creative;
  readonly id: string;
  readonly durationMs: number;
  /** The part that must fit in the dwell left: firstSecondsMs, at most the whole clip. */
  readonly firstMs: number;
}

export interface CompiledCampaign {
  readonly c: Campaign;
  readonly id: string;
  readonly tier: Tier;
  /** Index in TIERS: 0 is the highest priority. */
  readonly tierRank: number;
  /** Share in millionths: integer sums are exact, so the order of campaigns cannot change a decision. */
  readonly share: number;
  readonly from: number;
  readonly to: number;
  /** Bit d set: plays on day-of-week d. */
  readonly dayMask: number;
  /** [start, end) minute pairs, or null for all day. */
  readonly parts: Int16Array | null;
  readonly sites: ReadonlySet<string> | null;
  readonly doors: ReadonlySet<string> | null;
  readonly segments: readonly string[] | null;
  readonly perDay: number;
  /** Infinity when uncapped. */
  readonly perWeek: number;
  /** Infinity when never suppressed by completions. */
  readonly afterCompletions: number;
  readonly onNegativeFeedback: boolean;
  /** Stable tie-break seed. */
  readonly idHash: number;
  readonly creatives: readonly CompiledCreative[];
}

export interface Scratch {
  /** Per campaign: 0 while eligible, else its reason code (reasons.ts). */
  readonly why: Uint8Array;
  /** Per campaign: a resident-specific reason (caps, suppression), cleared after each decision. */
  readonly resident: Uint8Array;
  /** Indices of the campaigns eligible in this decision, `eligibleCount` of them. */
  readonly eligible: Int32Array;
  /** Indices set in `resident`, to clear. */
  readonly touched: number[];
}

/**
 * The fields every decision reads for every campaign, one typed array each: the eligibility
 * loop streams through a few kilobytes instead of chasing 500 objects.
 */
export interface Columns {
  readonly from: Int32Array;
  readonly to: Int32Array;
  readonly dayMask: Uint8Array;
  readonly tierRank: Uint8Array;
  /** Bit 1: site scope, 2: door scope, 4: segments (look at the campaign object). */
  readonly scoped: Uint8Array;
  /** Dayparts of campaign i: minute pairs partStart[i] … partStart[i + 1] in `parts`. */
  readonly partStart: Int32Array;
  readonly parts: Int16Array;
  readonly share: Float64Array;
  /** The shortest first-seconds of the campaign's creatives: some creative can start iff it fits. */
  readonly minFirst: Float64Array;
  readonly idHash: Uint32Array;
}

export const SCOPED_SITE = 1;
export const SCOPED_DOOR = 2;
export const SCOPED_SEGMENT = 4;

export interface CompiledSet {
  readonly set: CampaignSet;
  /** Sorted by id. */
  readonly campaigns: readonly CompiledCampaign[];
  readonly columns: Columns;
  readonly byId: ReadonlyMap<string, number>;
  readonly quiet: readonly { start: number; end: number; dayMask: number; dim: boolean }[];
  /** Reused by every select() on this set (select() is synchronous). */
  readonly scratch: Scratch;
}

/** FNV-1a. */
export function hashText(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const mask = (days: readonly number[] | undefined): number => (days ? days.reduce((m, d) => m | (1 << d), 0) : 0x7f);

function compileCampaign(c: Campaign, set: CampaignSet): CompiledCampaign {
  const d = set.defaults;
  return {
    c,
    id: c.id,
    tier: c.tier,
    tierRank: TIERS.indexOf(c.tier),
    share: Math.max(1, Math.round(c.share * 1_000_000)),
    from: dayNumber(c.dates.from),
    to: dayNumber(c.dates.to),
    dayMask: mask(c.days),
    parts: c.dayparts ? Int16Array.from(c.dayparts.flatMap((w) => [toMinute(w.start), toMinute(w.end)])) : null,
    sites: c.scope.sites ? new Set(c.scope.sites) : null,
    doors: c.scope.doors ? new Set(c.scope.doors) : null,
    segments: c.segments ?? null,
    perDay: c.caps.perDay ?? d.caps.perDay,
    perWeek: c.caps.perWeek ?? d.caps.perWeek ?? Number.POSITIVE_INFINITY,
    afterCompletions: c.suppression.afterCompletions ?? d.suppression.afterCompletions ?? Number.POSITIVE_INFINITY,
    onNegativeFeedback: c.suppression.onNegativeFeedback ?? d.suppression.onNegativeFeedback,
    idHash: hashText(c.id),
    creatives: c.creatives.map((creative) => ({ creative, id: creative.id, durationMs: creative.durationMs, firstMs: Math.min(creative.firstSecondsMs, creative.durationMs) })),
  };
}

export function compile(set: CampaignSet): CompiledSet {
  // Sorted by id: a campaign's index is its rank by id, so ties and explanations that order by
  // id compare integers, and the order of the manifest cannot change a decision.
  const campaigns = set.campaigns.map((c) => compileCampaign(c, set)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const n = campaigns.length;
  const partStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) partStart[i + 1] = partStart[i]! + (campaigns[i]!.parts?.length ?? 0);
  const columns: Columns = {
    from: Int32Array.from(campaigns, (c) => c.from),
    to: Int32Array.from(campaigns, (c) => c.to),
    dayMask: Uint8Array.from(campaigns, (c) => c.dayMask),
    tierRank: Uint8Array.from(campaigns, (c) => c.tierRank),
    scoped: Uint8Array.from(campaigns, (c) => (c.sites ? SCOPED_SITE : 0) | (c.doors ? SCOPED_DOOR : 0) | (c.segments ? SCOPED_SEGMENT : 0)),
    partStart,
    parts: Int16Array.from(campaigns.flatMap((c) => [...(c.parts ?? [])])),
    share: Float64Array.from(campaigns, (c) => c.share),
    minFirst: Float64Array.from(campaigns, (c) => Math.min(...c.creatives.map((x) => x.firstMs))),
    idHash: Uint32Array.from(campaigns, (c) => c.idHash),
  };
  return {
    set,
    campaigns,
    columns,
    byId: new Map(campaigns.map((c, i) => [c.id, i])),
    quiet: set.quietHours.map((q) => ({ start: toMinute(q.start), end: toMinute(q.end), dayMask: mask(q.days), dim: q.dim })),
    scratch: { why: new Uint8Array(n), resident: new Uint8Array(n), eligible: new Int32Array(n), touched: [] },
  };
}
