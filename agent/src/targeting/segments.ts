// Segments from a resident's own passage history, on the device (DESIGN.md rule 5: only the
// segment names are ever used or recorded, never the history). Pure: passages and rules in,
// names out. Bounded: only the last 28 site-local days and at most MAX_PASSAGES passages.
import type { SegmentRule } from './campaign.js';
import { inMinutes, offsetAt, siteTime, toMinute } from './site-time.js';

export interface Passage {
  atMs: number;
  door: string;
}

/** The longest history any rule may look at, in site-local days (including today). */
export const HISTORY_DAYS = 28;
/** The most passages looked at (the most recent); the store reads at most this many too. */
export const MAX_PASSAGES = 10_000;

interface Local {
  dayNumber: number;
  dow: number;
  minute: number;
  door: string;
}

const QUARTER_MS = 15 * 60_000;

/** Site-local times of the passages in the history window (offsets per quarter hour, site-time.ts). */
function localPassages(passages: readonly Passage[], nowMs: number, timeZone: string, since: number, today: number): Local[] {
  const offsets = new Map<number, number>();
  const out: Local[] = [];
  for (let i = Math.max(0, passages.length - MAX_PASSAGES); i < passages.length; i++) {
    const p = passages[i]!;
    if (!(p.atMs <= nowMs)) continue; // a passage from the future (clock jump) or NaN
    const bucket = Math.floor(p.atMs / QUARTER_MS);
    let off = offsets.get(bucket);
    if (off === undefined) {
      off = offsetAt(bucket * QUARTER_MS, timeZone);
      offsets.set(bucket, off);
    }
    const localMin = Math.floor(p.atMs / 60_000) + off;
    const dayNumber = Math.floor(localMin / 1440);
    if (dayNumber < since || dayNumber > today) continue;
    // 1970-01-01 was a Thursday (4).
    out.push({ dayNumber, dow: (((dayNumber + 4) % 7) + 7) % 7, minute: localMin - dayNumber * 1440, door: p.door });
  }
  return out;
}

/** The names of the segments the resident is in, sorted. */
export function evaluateSegments(passages: readonly Passage[], rules: readonly SegmentRule[], nowMs: number, timeZone: string): string[] {
  if (rules.length === 0 || passages.length === 0) return [];
  const today = siteTime(nowMs, timeZone).dayNumber;
  const local = localPassages(passages, nowMs, timeZone, today - (HISTORY_DAYS - 1), today);
  const out = new Set<string>();
  for (const r of rules) {
    const since = today - (r.lastDays - 1);
    const days = new Set<number>();
    let count = 0;
    if (r.kind === 'window-days') {
      const start = toMinute(r.window.start);
      const end = toMinute(r.window.end);
      for (const p of local) {
        if (p.dayNumber < since || !inMinutes(p.minute, start, end)) continue;
        if (r.days && !r.days.includes(p.dow)) continue;
        if (r.doors && !r.doors.includes(p.door)) continue;
        days.add(p.dayNumber);
      }
      if (days.size >= r.minDays) out.add(r.name);
    } else {
      for (const p of local) {
        if (p.dayNumber < since) continue;
        days.add(p.dayNumber);
        count++;
      }
      if (days.size >= r.minDays && count / days.size >= r.minPerDay) out.add(r.name);
    }
  }
  return [...out].sort();
}
