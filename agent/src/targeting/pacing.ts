// Share of voice within a tier, deterministic: site-wide plays today per tier and per campaign
// (not per resident) are an explicit input; the campaign furthest behind its booked share of
// the tier's plays so far wins, ties broken by a stable hash. The caller keeps the state and
// updates it with recordPacing() after each play.
import type { Tier } from './campaign.js';

export interface PacingState {
  /** Site-local day the counts are for; a state for another day counts as empty. */
  day: string;
  byTier: Partial<Record<Tier, number>>;
  byCampaign: Record<string, number>;
}

export const emptyPacing = (day = ''): PacingState => ({ day, byTier: {}, byCampaign: {} });

/** What recordPacing needs from a decision. */
export interface PacedPlay {
  day: string;
  tier: Tier;
  campaign: string;
}

/**
 * Pacing after a play: a new state, the input left untouched (so a caller can retry a
 * decision against the state it was made with). A play on a new day starts a fresh count.
 */
export function recordPacing(state: PacingState, play: PacedPlay): PacingState {
  const same = state.day === play.day;
  const byTier = same ? { ...state.byTier } : {};
  const byCampaign = same ? { ...state.byCampaign } : {};
  byTier[play.tier] = (byTier[play.tier] ?? 0) + 1;
  byCampaign[play.campaign] = (byCampaign[play.campaign] ?? 0) + 1;
  return { day: play.day, byTier, byCampaign };
}

/**
 * How far a campaign is behind: its normalised share of the tier's plays today, counting the
 * play about to happen, minus its own plays today.
 */
export function deficit(share: number, shareSum: number, tierPlaysWithThis: number, ownPlays: number): number {
  return (share / shareSum) * tierPlaysWithThis - ownPlays;
}

/** Stable tie-break between equal deficits: a mix of the campaign, the day and its plays. */
export function tieBreak(idHash: number, dayNumber: number, ownPlays: number): number {
  let h = idHash ^ Math.imul(dayNumber, 0x9e3779b1) ^ Math.imul(ownPlays + 1, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}
