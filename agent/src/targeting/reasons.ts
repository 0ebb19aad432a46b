// Why a campaign did not play: a closed set of codes with fixed texts, so the installer's
// doctor screen and the tests can rely on them. Losers are listed closest-first.
import type { CompiledSet } from './compiled.js';

export const REASONS = {
  dates: 'outside its booked dates',
  day: 'not booked on this day of the week',
  daypart: 'outside its dayparts',
  site: 'not booked at this site',
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

/** Numeric codes for the per-campaign scratch array; 0 means eligible. */
export const CODES = Object.keys(REASONS) as ReasonCode[];
export const CODE = Object.fromEntries(CODES.map((c, i) => [c, i + 1])) as Record<ReasonCode, number>;

/** How close a loser came: lower is closer. */
const RANK: Record<ReasonCode, number> = {
  paced: 0,
  'lower-tier': 1,
  'no-fit': 2,
  'cap-day': 3,
  'cap-week': 3,
  'cap-global': 3,
  'suppressed-completions': 3,
  'suppressed-feedback': 3,
  segment: 4,
  'needs-consent': 4,
  door: 5,
  site: 5,
  daypart: 6,
  day: 7,
  dates: 8,
};
const RANK_OF_CODE = Uint8Array.from([255, ...CODES.map((c) => RANK[c])]);

const RANKS = Math.max(...Object.values(RANK)) + 1;
/** Reused by every call (synchronous): campaign indices per rank. */
const buckets: number[][] = Array.from({ length: RANKS }, () => []);

/**
 * The k closest losers (by rank, then campaign id), excluding the winner. One pass: campaigns
 * are in id order (compiled.ts), so the first k seen at each rank are that rank's best.
 */
export function topLosers(compiled: CompiledSet, why: Uint8Array, k: number, winner = -1): Loser[] {
  for (const b of buckets) b.length = 0;
  const cs = compiled.campaigns;
  for (let i = 0; i < cs.length; i++) {
    const code = why[i]!;
    if (i === winner || code === 0) continue;
    const b = buckets[RANK_OF_CODE[code]!]!;
    if (b.length < k) b.push(i);
    else if (b === buckets[0]) break; // k of the closest kind: nothing later can rank before them
  }
  const out: Loser[] = [];
  for (const b of buckets) {
    for (const i of b) {
      if (out.length === k) return out;
      const reason = CODES[why[i]! - 1]!;
      out.push({ campaign: cs[i]!.id, reason, text: REASONS[reason] });
    }
  }
  return out;
}
