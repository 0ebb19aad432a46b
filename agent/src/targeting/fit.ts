// Dwell fit: which of a campaign's creatives to start with the time the resident is expected
// to stay. Never one whose first seconds cannot be shown.
import type { CompiledCreative } from './compiled.js';

/**
 * The index of the creative to play, or -1. Prefers one that fits whole, the longest such
 * (more of the message); failing that, the shortest whose first seconds fit (the most of it
 * seen). Never the creative just shown at this door when another fits.
 */
export function fitCreative(creatives: readonly CompiledCreative[], remainingMs: number, last: string | null): number {
  let best = -1;
  let bestScore = -1;
  for (let i = 0; i < creatives.length; i++) {
    const cr = creatives[i]!;
    if (cr.firstMs > remainingMs) continue;
    // durationMs ≤ 120,000, so the terms never overlap.
    const score = (cr.id === last ? 0 : 4_000_000) + (cr.durationMs <= remainingMs ? 2_000_000 + cr.durationMs : 1_000_000 - cr.durationMs);
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}
