// select(context, campaigns, history, pacing) → decision. Pure and deterministic: the same
// inputs give the same decision and the same explanation. DESIGN.md "targeting".
//
// Order of the rules: eligibility (dates, days, dayparts, door, consent/segments, caps,
// suppression, dwell fit), then tier (paid > property > house), then pacing within the tier
// (the campaign furthest behind its booked share today wins), then variety (not the creative
// that just played at this door, when another fits).
import { type Campaign, type CampaignSet, type Creative, TIERS, type Tier } from './campaign.js';
import { daysBefore, inWindow, siteTime, toMinute } from './site-time.js';

export interface PlayCounts {
  plays: number;
  completions: number;
}

/** One resident's history (agent/src/store/counters.ts ResidentCounts satisfies it). */
export interface ResidentHistory {
  byCampaign: ReadonlyMap<string, ReadonlyMap<string, PlayCounts>>;
  playsByDay: ReadonlyMap<string, number>;
  negative: ReadonlySet<string>;
}

/** Site-wide plays today, for share of voice. The caller keeps it (recordPacing). */
export interface PacingState {
  day: string;
  byTier: Partial<Record<Tier, number>>;
  byCampaign: Record<string, number>;
}

export interface SelectContext {
  nowMs: number;
  timeZone: string;
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

export const REASONS = {
  dates: 'outside its booked dates',
  day: 'not booked on this day of the week',
  daypart: 'outside its dayparts',
  door: 'not booked at this door',
  'needs-consent': 'personalised campaign; resident has no recorded consent',
  segment: 'resident is not in its target segments',
  'cap-day': 'resident reached the campaign’s daily cap',
  'cap-week': 'resident reached the campaign’s weekly cap',
  'cap-global': 'resident reached the daily cap over all campaigns',
  'suppressed-completions': 'resident has seen it to completion often enough',
  'suppressed-feedback': 'resident gave negative feedback on it',
  'no-fit': 'no creative can show its first seconds in the remaining dwell time',
  'lower-tier': 'a higher tier has an eligible campaign',
  paced: 'another campaign of its tier is further behind its booked share today',
} as const;
export type ReasonCode = keyof typeof REASONS;

export interface Loser {
  campaign: string;
  reason: ReasonCode;
  text: string;
}

export type Decision =
  | {
      kind: 'play';
      campaign: string;
      creative: Creative;
      tier: Tier;
      audio: 'on' | 'muted';
      dim: boolean;
      personalised: boolean;
      segmentsUsed: string[];
      day: string;
      why: string;
      losers: Loser[];
    }
  | { kind: 'none'; audio: 'on' | 'muted'; dim: boolean; day: string; why: string; losers: Loser[] };

/** A campaign set with its times pre-parsed, built once per manifest. */
export interface CompiledSet {
  set: CampaignSet;
  campaigns: { c: Campaign; parts: [number, number][] | null; tierRank: number }[];
}

export function compile(set: CampaignSet): CompiledSet {
  return {
    set,
    campaigns: set.campaigns.map((c) => ({ c, parts: c.dayparts?.map((w) => [toMinute(w.start), toMinute(w.end)] as [number, number]) ?? null, tierRank: TIERS.indexOf(c.tier) })),
  };
}

const EMPTY_HISTORY: ResidentHistory = { byCampaign: new Map(), playsByDay: new Map(), negative: new Set() };

/** Stable tie-break: FNV-1a of the text. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function inParts(minute: number, parts: [number, number][]): boolean {
  for (const [s, e] of parts) if (s < e ? minute >= s && minute < e : minute >= s || minute < e) return true;
  return false;
}

export function select(ctx: SelectContext, compiled: CompiledSet, history: ResidentHistory | null, pacing: PacingState): Decision {
  const t = siteTime(ctx.nowMs, ctx.timeZone);
  const set = compiled.set;
  const quiet = set.quietHours.find((q) => inWindow(t.minute, q) && (!q.days || q.days.includes(t.dow)));
  const audio = quiet ? 'muted' : 'on';
  const dim = quiet?.dim ?? false;
  // History and segments only with consent (DESIGN.md rule 5); otherwise anonymous selection.
  const personal = ctx.consent && ctx.pseudonym !== null;
  const h = personal ? (history ?? EMPTY_HISTORY) : null;
  const segments = personal ? ctx.segments : [];
  const weekStart = daysBefore(t.day, 6);
  const playsToday = h?.playsByDay.get(t.day) ?? 0;
  const pace = pacing.day === t.day ? pacing : { day: t.day, byTier: {}, byCampaign: {} };

  // Per campaign: 0 while eligible, else the index of its reason in CODES (no allocation
  // per campaign: select() runs on every unlock over hundreds of campaigns).
  const n = compiled.campaigns.length;
  const why = new Uint8Array(n);
  const chosen: (Creative | null)[] = new Array(n).fill(null);
  let top: number = TIERS.length;
  for (let i = 0; i < n; i++) {
    const { c, parts, tierRank } = compiled.campaigns[i]!;
    const r = ineligible(c, parts);
    if (r) {
      why[i] = CODE[r];
      continue;
    }
    const creative = fit(c.creatives, ctx.remainingDwellMs, ctx.lastCreativeAtDoor ?? null);
    if (!creative) {
      why[i] = CODE['no-fit'];
      continue;
    }
    chosen[i] = creative;
    if (tierRank < top) top = tierRank;
  }

  function ineligible(c: Campaign, parts: [number, number][] | null): ReasonCode | null {
    if (t.day < c.dates.from || t.day > c.dates.to) return 'dates';
    if (c.days && !c.days.includes(t.dow)) return 'day';
    if (parts && !inParts(t.minute, parts)) return 'daypart';
    if (c.doors && !c.doors.includes(ctx.door)) return 'door';
    if (c.segments) {
      if (!personal) return 'needs-consent';
      if (!c.segments.some((x) => segments.includes(x))) return 'segment';
    }
    if (!h) return null;
    const days = h.byCampaign.get(c.id);
    if (days) {
      if ((days.get(t.day)?.plays ?? 0) >= c.caps.perDay) return 'cap-day';
      let week = 0;
      let completions = 0;
      for (const [d, x] of days) {
        if (d >= weekStart && d <= t.day) week += x.plays;
        completions += x.completions;
      }
      if (c.caps.perWeek !== undefined && week >= c.caps.perWeek) return 'cap-week';
      if (c.suppression.afterCompletions !== undefined && completions >= c.suppression.afterCompletions) return 'suppressed-completions';
    }
    if (c.suppression.onNegativeFeedback && h.negative.has(c.id)) return 'suppressed-feedback';
    if (playsToday >= set.globalPerDay) return 'cap-global';
    return null;
  }

  if (top === TIERS.length) {
    return { kind: 'none', audio, dim, day: t.day, why: 'no campaign is eligible now', losers: topLosers(compiled, why, 5) };
  }

  // Pacing: expected plays = share × (tier plays so far + this one); the largest deficit wins,
  // ties broken by a stable hash of (campaign, day, its plays), then by id.
  let shareSum = 0;
  for (let i = 0; i < n; i++) if (chosen[i] && compiled.campaigns[i]!.tierRank === top) shareSum += compiled.campaigns[i]!.c.share;
  const tierPlays = (pace.byTier[TIERS[top]!] ?? 0) + 1;
  const score = (i: number) => (compiled.campaigns[i]!.c.share / shareSum) * tierPlays - (pace.byCampaign[compiled.campaigns[i]!.c.id] ?? 0);
  const ties = new Map<number, number>();
  const tie = (i: number) => {
    let v = ties.get(i);
    if (v === undefined) {
      v = hash(`${compiled.campaigns[i]!.c.id}|${t.day}|${pace.byCampaign[compiled.campaigns[i]!.c.id] ?? 0}`);
      ties.set(i, v);
    }
    return v;
  };
  const better = (a: number, sa: number, b: number, sb: number) => sa > sb || (sa === sb && (tie(a) < tie(b) || (tie(a) === tie(b) && compiled.campaigns[a]!.c.id < compiled.campaigns[b]!.c.id)));
  let first = -1;
  let second = -1;
  let s1 = Number.NEGATIVE_INFINITY;
  let s2 = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (!chosen[i]) continue;
    if (compiled.campaigns[i]!.tierRank !== top) {
      why[i] = CODE['lower-tier'];
      continue;
    }
    const si = score(i);
    if (first < 0 || better(i, si, first, s1)) {
      second = first;
      s2 = s1;
      first = i;
      s1 = si;
    } else if (second < 0 || better(i, si, second, s2)) {
      second = i;
      s2 = si;
    }
  }
  // Variety: not the creative that just played at this door, if the runner-up is within one
  // play of its share (so variety never costs a booked campaign more than one play of pacing).
  let pick = first;
  let ps = s1;
  if (second >= 0 && chosen[first]!.id === ctx.lastCreativeAtDoor && s2 > s1 - 1) {
    pick = second;
    ps = s2;
  }
  for (let i = 0; i < n; i++) if (chosen[i] && i !== pick && compiled.campaigns[i]!.tierRank === top) why[i] = CODE.paced;

  const w = compiled.campaigns[pick]!.c;
  const creative = chosen[pick]!;
  const segmentsUsed = w.segments ? w.segments.filter((x) => segments.includes(x)).sort() : [];
  const text = `${w.tier} campaign ${w.id}: ${ps.toFixed(2)} plays behind its ${Math.round((w.share / shareSum) * 100)}% share of the ${w.tier} tier today; creative ${creative.id} (${(creative.durationMs / 1000).toFixed(1)} s) fits ${(ctx.remainingDwellMs / 1000).toFixed(1)} s of dwell`;
  return { kind: 'play', campaign: w.id, creative, tier: w.tier, audio, dim, personalised: segmentsUsed.length > 0, segmentsUsed, day: t.day, why: text, losers: topLosers(compiled, why, 5, pick) };
}

const CODES = Object.keys(REASONS) as ReasonCode[];
const CODE = Object.fromEntries(CODES.map((c, i) => [c, i + 1])) as Record<ReasonCode, number>;
/** The losers worth showing: those that came closest (paced, lower tier) first, then by id. */
const RANK: Record<ReasonCode, number> = { paced: 0, 'lower-tier': 1, 'no-fit': 2, 'cap-day': 3, 'cap-week': 3, 'cap-global': 3, 'suppressed-completions': 3, 'suppressed-feedback': 3, segment: 4, 'needs-consent': 4, door: 5, daypart: 6, day: 7, dates: 8 };

function topLosers(compiled: CompiledSet, why: Uint8Array, k: number, winner = -1): Loser[] {
  const best: { i: number; rank: number; id: string }[] = [];
  for (let i = 0; i < why.length; i++) {
    if (i === winner || why[i] === 0) continue;
    const rank = RANK[CODES[why[i]! - 1]!];
    const id = compiled.campaigns[i]!.c.id;
    if (best.length === k) {
      const last = best[k - 1]!;
      if (rank > last.rank || (rank === last.rank && id > last.id)) continue;
      best.pop();
    }
    const cand = { i, rank, id };
    let j = best.length;
    while (j > 0 && (best[j - 1]!.rank > cand.rank || (best[j - 1]!.rank === cand.rank && best[j - 1]!.id > cand.id))) j--;
    best.splice(j, 0, cand);
  }
  return best.map(({ i, id }) => {
    const reason = CODES[why[i]! - 1]!;
    return { campaign: id, reason, text: REASONS[reason] };
  });
}

/**
 * The creative to play: one whose first seconds fit the dwell left, preferring one that fits
 * whole, then the longest that fits whole (more of the message), never the one just shown
 * when another fits.
 */
function fit(creatives: readonly Creative[], remainingMs: number, last: string | null): Creative | null {
  let best: Creative | null = null;
  let bestScore = -1;
  for (const cr of creatives) {
    if (cr.firstSecondsMs > remainingMs) continue;
    const whole = cr.durationMs <= remainingMs;
    const score = (cr.id === last ? 0 : 2_000_000) + (whole ? 1_000_000 + cr.durationMs : 1_000_000 - cr.durationMs);
    if (score > bestScore) {
      best = cr;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Pacing after a play: what the caller keeps for the next select(). Updates `state` in place
 * on the same day (it grows with the campaigns played; copying it per unlock would cost more
 * than the decision) and starts a fresh one on a new day.
 */
export function recordPacing(state: PacingState, d: Extract<Decision, { kind: 'play' }>): PacingState {
  const s = state.day === d.day ? state : { day: d.day, byTier: {}, byCampaign: {} };
  s.byTier[d.tier] = (s.byTier[d.tier] ?? 0) + 1;
  s.byCampaign[d.campaign] = (s.byCampaign[d.campaign] ?? 0) + 1;
  return s;
}
