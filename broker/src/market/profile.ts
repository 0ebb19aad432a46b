// A site's weekly profile: expected granted unlocks per site-local hour, Sunday first. Learned
// from the hourly door counts devices report (CLOUD-LINK.md §5.2) once a week of them exists;
// until then the operator's manual profile (or a generic curve) stands. Pure.
import { z } from 'zod';
import type { DoorCountHour } from '../store/impression-store.js';
import { localHourOf, weekdayOf } from './site-time.js';

export const HoursSchema = z.array(z.array(z.number().min(0).max(100_000)).length(24)).length(7);
export type WeeklyHours = z.infer<typeof HoursSchema>;

/** Days of door counts needed before the learned profile replaces the manual one. */
export const MIN_LEARNED_DAYS = 7;

// A residential gate's shape: the school run, lunch, the evening return. ~300 unlocks a day.
const CURVE = [2, 1, 1, 1, 2, 6, 18, 32, 26, 12, 9, 10, 14, 11, 9, 10, 14, 24, 30, 22, 16, 12, 8, 4];
export const GENERIC_PROFILE: WeeklyHours = Array.from({ length: 7 }, () => [...CURVE]);

export interface Profile {
  source: 'learned' | 'manual' | 'generic';
  /** Distinct site-local days of door counts behind a learned profile. */
  days: number;
  hours: WeeklyHours;
}

/** Averages door counts per weekday and local hour over the days observed; null under MIN_LEARNED_DAYS. */
export function learnProfile(counts: readonly DoorCountHour[], timeZone: string): Profile | null {
  const sums: number[][] = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  const datesByWeekday: Set<string>[] = Array.from({ length: 7 }, () => new Set());
  for (const c of counts) {
    const l = localHourOf(Date.parse(c.hourStart), timeZone);
    const wd = weekdayOf(l.date);
    sums[wd]![l.hour]! += c.unlocks;
    datesByWeekday[wd]!.add(l.date);
  }
  const days = datesByWeekday.reduce((n, s) => n + s.size, 0);
  if (days < MIN_LEARNED_DAYS) return null;
  const hours = sums.map((row, wd) => {
    const n = datesByWeekday[wd]!.size;
    // A weekday never observed borrows the mean of the observed ones.
    return row.map((v, h) => (n > 0 ? v / n : meanAt(sums, datesByWeekday, h)));
  });
  return { source: 'learned', days, hours: hours.map((r) => r.map((v) => Math.round(v * 100) / 100)) };
}

function meanAt(sums: number[][], dates: Set<string>[], hour: number): number {
  let total = 0;
  let n = 0;
  for (let wd = 0; wd < 7; wd++) {
    if (dates[wd]!.size === 0) continue;
    total += sums[wd]![hour]! / dates[wd]!.size;
    n++;
  }
  return n ? total / n : 0;
}

/** Expected unlocks on `date` over the given local hours. */
export function expectedUnlocks(p: WeeklyHours, date: string, hours: readonly number[]): number {
  const row = p[weekdayOf(date)]!;
  return hours.reduce((n, h) => n + (row[h] ?? 0), 0);
}
