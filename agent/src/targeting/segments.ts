// Segments from a resident's own passage history, on the device (DESIGN.md: only segment
// names leave it). Pure: passages and rules in, names out. Bounded by the rules' windows.
import type { SegmentRule } from './campaign.js';
import { daysBefore, inWindow, siteTime } from './site-time.js';

export interface Passage {
  atMs: number;
  door: string;
}

export function evaluateSegments(passages: readonly Passage[], rules: readonly SegmentRule[], nowMs: number, timeZone: string): string[] {
  if (rules.length === 0 || passages.length === 0) return [];
  const today = siteTime(nowMs, timeZone).day;
  const local = passages.map((p) => siteTime(p.atMs, timeZone));
  const out: string[] = [];
  for (const r of rules) {
    const since = daysBefore(today, r.lastDays - 1);
    const recent = local.filter((t) => t.day >= since && t.day <= today);
    if (r.kind === 'window-days') {
      const days = new Set(recent.filter((t) => inWindow(t.minute, r.window) && (!r.days || r.days.includes(t.dow))).map((t) => t.day));
      if (days.size >= r.minDays) out.push(r.name);
    } else {
      const active = new Set(recent.map((t) => t.day)).size;
      if (active > 0 && recent.length / active >= r.minPerDay) out.push(r.name);
    }
  }
  return [...new Set(out)].sort();
}
