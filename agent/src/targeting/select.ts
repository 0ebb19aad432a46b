// select(context, compiled set, resident history, pacing) → decision. Pure and deterministic:
// no I/O, no clock, no randomness; the same inputs give the same decision and explanation,
// whatever the order of the campaigns in the set.
//
// The rules, in order: eligibility (dates, day of week, dayparts, site, door, consent and
// segments, the resident's caps and suppression, the global cap, dwell fit), then tier (paid >
// property > house), then pacing within the tier (pacing.ts), then variety (not the creative
// that just played at this door when a campaign as far behind can play instead).
//
// Consent (DESIGN.md rule 5): the resident's history and segments are used only with recorded
// consent and a pseudonym; anyone else is served on time, place and share of voice alone, and
// the decision says the impression is to be recorded anonymous.
import { type Creative, TIERS, type Tier } from './campaign.js';
import type { CompiledCampaign, CompiledSet } from './compiled.js';
import { fitCreative } from './fit.js';
import { deficit, type PacingState, tieBreak } from './pacing.js';
import { CODE, type Loser, topLosers } from './reasons.js';
import { daysBefore, inMinutes, siteTime } from './site-time.js';

export { type CompiledSet, compile } from './compiled.js';
export { emptyPacing, type PacingState, recordPacing } from './pacing.js';
export { type Loser, REASONS, type ReasonCode } from './reasons.js';

export interface PlayCounts {
  plays: number;
  completions: number;
}

/** One resident's history (agent/src/store/counters.ts ResidentCounts satisfies it). */
export interface ResidentHistory {
  /** campaign → site-local day → counts, over the days the caller read (28 for suppression). */
  byCampaign: ReadonlyMap<string, ReadonlyMap<string, PlayCounts>>;
  /** site-local day → plays over all campaigns. */
  playsByDay: ReadonlyMap<string, number>;
  /** Campaigns this resident gave negative feedback on. */
  negative: ReadonlySet<string>;
}

export interface SelectContext {
  nowMs: number;
  /** The site's IANA zone: days, dayparts and quiet hours are site-local. */
  timeZone: string;
  /** The site, for campaigns scoped to sites; without it such campaigns do not play. */
  site?: string;
  door: string;
  /** Expected time the resident is still in front of the screen (dwell.ts). */
  remainingDwellMs: number;
  pseudonym: string | null;
  /** Recorded consent to personalisation (the manifest's consent list, minus opt-outs). */
  consent: boolean;
  /** The resident's segments (segments.ts); ignored without consent. */
  segments: readonly string[];
  lastCreativeAtDoor?: string | null;
}

interface Common {
  audio: 'on' | 'muted';
  dim: boolean;
  /** Site-local day of the decision: the counters' and pacing's day key. */
  day: string;
  /** Record the impression without the pseudonym (no consent, or no pseudonym). */
  anonymous: boolean;
  /** Why the winner won (or why nothing plays). */
  why: string;
  /** The closest losers, closest first (at most 5). */
  losers: Loser[];
}

export type Decision =
  | ({ kind: 'play'; campaign: string; creative: Creative; tier: Tier; personalised: boolean; segmentsUsed: string[] } & Common)
  | ({ kind: 'none' } & Common);

const LOSERS = 5;
const EMPTY: readonly string[] = [];

export function select(ctx: SelectContext, compiled: CompiledSet, history: ResidentHistory | null, pacing: PacingState): Decision {
  const t = siteTime(ctx.nowMs, ctx.timeZone);
  const dowBit = 1 << t.dow;
  const prevDowBit = 1 << ((t.dow + 6) % 7);
  let audio: 'on' | 'muted' = 'on';
  let dim = false;
  for (const q of compiled.quiet) {
    // A window past midnight belongs to the night it started: Friday 23:00–07:00 covers Saturday 03:00.
    const onDay = q.start < q.end || t.minute >= q.start ? dowBit : prevDowBit;
    if (q.dayMask & onDay && inMinutes(t.minute, q.start, q.end)) {
      audio = 'muted';
      dim ||= q.dim;
    }
  }
  const personal = ctx.consent && ctx.pseudonym !== null;
  const segments = personal ? ctx.segments : EMPTY;
  const h = personal ? history : null;
  const { campaigns, scratch } = compiled;
  const { why, resident, eligible, touched } = scratch;
  const n = campaigns.length;

  // The resident's caps and suppression, from their history only (a few campaigns), not by
  // looking every campaign up. The previous resident's marks go first (even if that call threw).
  for (const i of touched) resident[i] = 0;
  touched.length = 0;
  let globalCapped = false;
  if (h) {
    const weekStart = weekStartOf(t.day);
    for (const [id, days] of h.byCampaign) {
      const i = compiled.byId.get(id);
      if (i === undefined) continue;
      const c = campaigns[i]!;
      let today = 0;
      let week = 0;
      let completions = 0;
      for (const [d, x] of days) {
        if (d === t.day) today += x.plays;
        if (d >= weekStart && d <= t.day) week += x.plays;
        completions += x.completions;
      }
      const r = today >= c.perDay ? CODE['cap-day'] : week >= c.perWeek ? CODE['cap-week'] : completions >= c.afterCompletions ? CODE['suppressed-completions'] : 0;
      if (r) {
        resident[i] = r;
        touched.push(i);
      }
    }
    for (const id of h.negative) {
      const i = compiled.byId.get(id);
      if (i !== undefined && campaigns[i]!.onNegativeFeedback && resident[i] === 0) {
        resident[i] = CODE['suppressed-feedback'];
        touched.push(i);
      }
    }
    globalCapped = (h.playsByDay.get(t.day) ?? 0) >= compiled.set.globalPerDay;
  }

  // An unknown dwell (NaN) or a negative one: nothing can start.
  const remaining = Number.isNaN(ctx.remainingDwellMs) || ctx.remainingDwellMs < 0 ? 0 : ctx.remainingDwellMs;
  const last = ctx.lastCreativeAtDoor ?? null;
  let top = 255;
  // Share sums of the eligible campaigns, per tier (exact: shares are integers).
  let share0 = 0;
  let share1 = 0;
  let share2 = 0;
  const { from, to, dayMask, tierRank, scoped, partStart, parts, share, minFirst } = compiled.columns;
  const { dayNumber, minute } = t;
  let count = 0;
  for (let i = 0; i < n; i++) {
    let r = 0;
    if (dayNumber < from[i]! || dayNumber > to[i]!) r = CODE.dates;
    else if ((dayMask[i]! & dowBit) === 0) r = CODE.day;
    else if (partStart[i + 1]! > partStart[i]! && !inParts(minute, parts, partStart[i]!, partStart[i + 1]!)) r = CODE.daypart;
    else if (scoped[i] !== 0) r = scope(campaigns[i]!, ctx, personal, segments);
    if (r === 0) r = resident[i]!;
    if (r === 0 && globalCapped) r = CODE['cap-global'];
    // Which creative plays is worked out for the winner only (fit.ts); here, whether one can.
    if (r === 0 && minFirst[i]! > remaining) r = CODE['no-fit'];
    if (r === 0) {
      eligible[count++] = i;
      const tr = tierRank[i]!;
      if (tr < top) top = tr;
      if (tr === 0) share0 += share[i]!;
      else if (tr === 1) share1 += share[i]!;
      else share2 += share[i]!;
    }
    why[i] = r;
  }

  const common = { audio, dim, day: t.day, anonymous: !personal };
  if (top === 255) return { kind: 'none', ...common, why: 'no campaign is eligible now', losers: topLosers(compiled, why, LOSERS) };

  // Pacing within the top tier: the largest deficit wins; equal deficits by a stable hash, then id.
  const pace = pacing.day === t.day ? pacing : null;
  const shareSum = top === 0 ? share0 : top === 1 ? share1 : share2;
  const tierPlays = (pace?.byTier[TIERS[top]!] ?? 0) + 1;
  let first = -1;
  let second = -1;
  let s1 = 0;
  let s2 = 0;
  let h1 = 0;
  let h2 = 0;
  const { idHash } = compiled.columns;
  for (let e = 0; e < count; e++) {
    const i = eligible[e]!;
    if (tierRank[i] !== top) {
      why[i] = CODE['lower-tier'];
      continue;
    }
    why[i] = CODE.paced; // until it turns out to be the pick
    const own = pace?.byCampaign[campaigns[i]!.id] ?? 0;
    const s = deficit(share[i]!, shareSum, tierPlays, own);
    const th = tieBreak(idHash[i]!, dayNumber, own);
    if (first < 0 || ahead(s, th, i, s1, h1, first)) {
      second = first;
      s2 = s1;
      h2 = h1;
      first = i;
      s1 = s;
      h1 = th;
    } else if (second < 0 || ahead(s, th, i, s2, h2, second)) {
      second = i;
      s2 = s;
      h2 = th;
    }
  }
  // Variety: not the creative that just played here, when the runner-up is within one play of
  // the winner's deficit (variety never costs a booked campaign more than one play of pacing).
  let pick = first;
  let score = s1;
  const firstCreative = fitCreative(campaigns[first]!.creatives, remaining, last);
  let k = firstCreative;
  if (second >= 0 && last !== null && campaigns[first]!.creatives[firstCreative]!.id === last && s2 > s1 - 1) {
    pick = second;
    score = s2;
    k = fitCreative(campaigns[second]!.creatives, remaining, last);
  }
  why[pick] = 0;

  const w = campaigns[pick]!;
  const creative = w.creatives[k]!.creative;
  const segmentsUsed = w.segments ? w.segments.filter((x) => segments.includes(x)).sort() : [];
  const text = `${w.tier} campaign ${w.id}: ${score.toFixed(2)} plays behind its ${Math.round((w.share / shareSum) * 100)}% share of the ${w.tier} tier today; creative ${creative.id} (${(creative.durationMs / 1000).toFixed(1)} s) fits ${(remaining / 1000).toFixed(1)} s of dwell`;
  return {
    kind: 'play',
    campaign: w.id,
    creative,
    tier: w.tier,
    personalised: segmentsUsed.length > 0,
    segmentsUsed,
    ...common,
    why: text,
    losers: topLosers(compiled, why, LOSERS, pick),
  };
}

let week: { day: string; start: string } = { day: '', start: '' };
/** The first day of the rolling 7-day week that ends today (memoised: one day at a time). */
function weekStartOf(day: string): string {
  if (week.day !== day) week = { day, start: daysBefore(day, 6) };
  return week.start;
}

/** Campaign i (deficit s, tie hash h) ranks before campaign b; indices are id order. */
function ahead(s: number, h: number, i: number, bs: number, bh: number, b: number): boolean {
  return s > bs || (s === bs && (h < bh || (h === bh && i < b)));
}

function inParts(minute: number, parts: Int16Array, start: number, end: number): boolean {
  for (let j = start; j < end; j += 2) if (inMinutes(minute, parts[j]!, parts[j + 1]!)) return true;
  return false;
}

/** Site, door and segment scope, for the campaigns that have one. */
function scope(c: CompiledCampaign, ctx: SelectContext, personal: boolean, segments: readonly string[]): number {
  if (c.sites !== null && (ctx.site === undefined || !c.sites.has(ctx.site))) return CODE.site;
  if (c.doors !== null && !c.doors.has(ctx.door)) return CODE.door;
  if (c.segments !== null) return !personal ? CODE['needs-consent'] : anyOf(c.segments, segments) ? 0 : CODE.segment;
  return 0;
}

function anyOf(wanted: readonly string[], have: readonly string[]): boolean {
  for (const x of wanted) if (have.includes(x)) return true;
  return false;
}
