// Site-local calendar arithmetic for reports and inventory, on the agent's own site time
// (agent/src/targeting/site-time.ts): a zone's UTC offset comes from Intl about once a day and
// the rest is arithmetic, so mapping a report's hours to local dates needs no cache here.
import { dayNumber, daysBefore, offsetAt, siteTime } from '@doorcast/agent/site-time';

export { isTimeZone } from '@doorcast/agent/time-zone';

export interface LocalHour {
  /** YYYY-MM-DD, site-local. */
  date: string;
  /** 0–23, site-local. */
  hour: number;
}

/** A UTC instant → site-local date and hour. */
export function localHourOf(ms: number, timeZone: string): LocalHour {
  const t = siteTime(ms, timeZone);
  return { date: t.day, hour: Math.floor(t.minute / 60) };
}

/** 'YYYY-MM-DDTHH' (a UTC hour, as the store groups facts) → site-local date and hour. */
export function localHourOfUtcHour(utcHour: string, timeZone: string): LocalHour {
  return localHourOf(Date.parse(`${utcHour}:00:00.000Z`), timeZone);
}

/** Day of the week of a calendar date, 0 = Sunday (1970-01-01 was a Thursday). */
export function weekdayOf(date: string): number {
  return (((dayNumber(date) + 4) % 7) + 7) % 7;
}

/** Inclusive list of dates from..to; throws RangeError past `max`. */
export function datesBetween(from: string, to: string, max = 366): string[] {
  const out: string[] = [];
  for (let n = dayNumber(from); n <= dayNumber(to); n++) {
    if (out.length >= max) throw new RangeError(`more than ${max} days between ${from} and ${to}`);
    out.push(new Date(n * 86_400_000).toISOString().slice(0, 10));
  }
  return out;
}

export function addDays(date: string, days: number): string {
  return daysBefore(date, -days);
}

/** UTC instant at which a site-local date begins (first instant whose local date is `date`). */
export function startOfLocalDate(date: string, timeZone: string): number {
  const base = dayNumber(date) * 86_400_000;
  // Local midnight is UTC midnight less the offset in force then (asked twice: the offset at
  // UTC midnight may differ from the one at local midnight).
  let t = base - offsetAt(base - offsetAt(base, timeZone) * 60_000, timeZone) * 60_000;
  // Where a DST change skips local midnight the day begins later; a skip is at most a few hours.
  for (let i = 0; i < 24 * 60 && siteTime(t, timeZone).day < date; i++) t += 60_000;
  for (let i = 0; i < 24 * 60 && siteTime(t - 60_000, timeZone).day === date; i++) t -= 60_000;
  return t;
}

/** The UTC span [fromIso, toIso) covering site-local dates from..to in every one of `zones`. */
export function utcSpanOf(from: string, to: string, zones: Iterable<string>): { fromIso: string; toIso: string } {
  const list = [...zones];
  const starts = list.map((tz) => startOfLocalDate(from, tz));
  const ends = list.map((tz) => startOfLocalDate(addDays(to, 1), tz));
  return { fromIso: new Date(Math.min(...starts)).toISOString(), toIso: new Date(Math.max(...ends)).toISOString() };
}

/** Site-local hours of the day → the UTC hours of the day they fall in, at the offset in force at `atMs`. */
export function utcHoursOf(localHours: readonly number[], timeZone: string, atMs: number): number[] {
  // Half-hour zones (India) round to the hour a play's UTC hour key can express.
  const shift = Math.round(-offsetAt(atMs, timeZone) / 60);
  return localHours.map((h) => (((h + shift) % 24) + 24) % 24);
}
