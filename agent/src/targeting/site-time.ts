// Site-local calendar time from a Unix ms instant and an IANA zone (DST-correct via Intl).
// Formatters are cached per zone: building one costs far more than using it.
export interface SiteTime {
  /** YYYY-MM-DD, site-local (the counters' day key). */
  day: string;
  /** Days since 1970-01-01 of that local calendar day (for date arithmetic without strings). */
  dayNumber: number;
  /** 0 = Sunday. */
  dow: number;
  /** Minutes since local midnight. */
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const DOW: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Throws RangeError on an unknown zone: a configuration error, found at the first call.
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short' });
    formatters.set(timeZone, f);
  }
  return f;
}

let last: { zone: string; minute: number; value: SiteTime } | undefined;

export function siteTime(nowMs: number, timeZone: string): SiteTime {
  // Every zone in use today is offset by whole minutes, so one answer holds for the minute;
  // unlocks in the same minute ask the same question and Intl is the expensive part.
  const minute = Math.floor(nowMs / 60_000);
  if (last && last.minute === minute && last.zone === timeZone) return last.value;
  const value = computeSiteTime(nowMs, timeZone);
  last = { zone: timeZone, minute, value };
  return value;
}

function computeSiteTime(nowMs: number, timeZone: string): SiteTime {
  let year = '';
  let month = '';
  let day = '';
  let hour = 0;
  let min = 0;
  let dow = 0;
  for (const x of formatter(timeZone).formatToParts(nowMs)) {
    if (x.type === 'year') year = x.value;
    else if (x.type === 'month') month = x.value;
    else if (x.type === 'day') day = x.value;
    else if (x.type === 'hour') hour = Number(x.value);
    else if (x.type === 'minute') min = Number(x.value);
    else if (x.type === 'weekday') dow = DOW[x.value] ?? 0;
  }
  const key = `${year}-${month}-${day}`;
  return { day: key, dayNumber: dayNumber(key), dow, minute: hour * 60 + min };
}

/**
 * The zone's offset from UTC in minutes at `atMs`. Every zone changes offset at instants that
 * are whole quarter hours in UTC, so callers may cache it per 15-minute bucket.
 */
export function utcOffsetMinutes(atMs: number, timeZone: string): number {
  const t = computeSiteTime(atMs, timeZone);
  return t.dayNumber * 1440 + t.minute - Math.floor(atMs / 60_000);
}

export const toMinute = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** [start, end) in minutes; end ≤ start wraps midnight. */
export function inWindow(minute: number, w: { start: string; end: string }): boolean {
  return inMinutes(minute, toMinute(w.start), toMinute(w.end));
}

export function inMinutes(minute: number, start: number, end: number): boolean {
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/** Days since 1970-01-01 of a YYYY-MM-DD calendar day. */
export function dayNumber(day: string): number {
  return Math.floor(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))) / 86_400_000);
}

/** The day `n` days before `day` (YYYY-MM-DD, calendar arithmetic). */
export function daysBefore(day: string, n: number): string {
  return new Date((dayNumber(day) - n) * 86_400_000).toISOString().slice(0, 10);
}
