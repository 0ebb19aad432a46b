// Site-local calendar time from a Unix ms instant and an IANA zone, DST-correct: Intl gives
// the zone's UTC offset, cached over the span it holds (about a day), and the calendar fields
// follow by arithmetic. Intl formatting costs microseconds; select() runs on every unlock.
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

const QUARTER_MS = 15 * 60_000;
const SPAN_MS = 24 * 3600_000;

/** Per zone, an interval over which its UTC offset is known to be constant. */
const spans = new Map<string, { from: number; to: number; offset: number }>();

/**
 * The zone's UTC offset in minutes at `atMs`, from Intl only when `atMs` leaves the span last
 * worked out. Zones change offset only at whole quarter hours (UTC) and never twice within a
 * day, so equal offsets at both ends of a day mean the same offset throughout; otherwise the
 * change is found by bisection to the quarter hour.
 */
export function offsetAt(atMs: number, timeZone: string): number {
  const s = spans.get(timeZone);
  if (s && atMs >= s.from && atMs < s.to) return s.offset;
  const from = Math.floor(atMs / QUARTER_MS) * QUARTER_MS;
  const offset = utcOffsetMinutes(from, timeZone);
  let to = from + SPAN_MS;
  if (utcOffsetMinutes(to, timeZone) !== offset) {
    // The first quarter hour in (from, to] with another offset.
    let lo = from;
    while (to - lo > QUARTER_MS) {
      const mid = lo + Math.floor((to - lo) / QUARTER_MS / 2) * QUARTER_MS;
      if (utcOffsetMinutes(mid, timeZone) === offset) lo = mid;
      else to = mid;
    }
  }
  spans.set(timeZone, { from, to, offset });
  return offset;
}

let lastDay: { n: number; key: string } = { n: Number.NaN, key: '' };

/** Site-local time at `nowMs` in `timeZone` (IANA); Intl is asked about once a day. */
export function siteTime(nowMs: number, timeZone: string): SiteTime {
  const local = Math.floor(nowMs / 60_000) + offsetAt(nowMs, timeZone);
  const dayNumber = Math.floor(local / 1440);
  if (lastDay.n !== dayNumber) lastDay = { n: dayNumber, key: new Date(dayNumber * 86_400_000).toISOString().slice(0, 10) };
  // 1970-01-01 was a Thursday.
  return { day: lastDay.key, dayNumber, dow: (((dayNumber + 4) % 7) + 7) % 7, minute: local - dayNumber * 1440 };
}

/** Site-local time straight from Intl: the reference siteTime() is built on and tested against. */
export function intlSiteTime(nowMs: number, timeZone: string): SiteTime {
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

/** The zone's offset from UTC in minutes at `atMs`, from Intl. */
export function utcOffsetMinutes(atMs: number, timeZone: string): number {
  const t = intlSiteTime(atMs, timeZone);
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
