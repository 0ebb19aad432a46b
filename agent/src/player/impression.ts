// A play as the store and the cloud record it (records.ts PlaySchema, CLOUD-LINK.md §5.1).
// Pure: the decision and the player's result in, the record and counter updates out.
import type { CounterDelta, Play } from '../store/records.js';
import type { PlayResult } from './player.js';

export interface PlayFacts {
  impressionId: string;
  campaignId: string;
  creativeId: string;
  /** Door number on the controller, 1–16 (the contract's door). */
  door: number;
  /** Null for anonymous plays: no consent, or no identity (GPIO, exit button). */
  pseudonym: string | null;
  segments: readonly string[];
  decisionLatencyMs: number;
  /** Site-local day of the decision, for the resident's counters. */
  day: string;
}

export function toPlay(f: PlayFacts, r: PlayResult): { play: Play; counters: CounterDelta[] } {
  const play: Play = {
    impressionId: f.impressionId,
    campaignId: f.campaignId,
    creativeId: f.creativeId,
    door: f.door,
    pseudonym: f.pseudonym,
    segments: [...f.segments],
    decisionLatencyMs: Math.max(0, Math.round(f.decisionLatencyMs * 1000) / 1000),
    firstFrameLatencyMs: r.framesShown > 0 && r.firstFrameLatencyMs !== null ? Math.max(0, Math.round(r.firstFrameLatencyMs * 1000) / 1000) : null,
    framesShown: r.framesShown,
    framesExpected: r.framesExpected,
    outcome: r.outcome,
  };
  // Counters only for residents we may track (the caller passes null without consent), and
  // only for plays that showed something.
  const counters: CounterDelta[] = f.pseudonym && r.framesShown > 0 ? [{ pseudonym: f.pseudonym, campaign: f.campaignId, day: f.day, completed: r.outcome === 'completed' }] : [];
  return { play, counters };
}
