// Site-local calendar arithmetic for reports and inventory. Intl is asked once per zone and
// UTC hour and cached (bounded), since a report maps every fact row's hour to a local date.
const formatters = new Map<string, Intl.DateTimeFormat>();
const hourCache = new Map<string, LocalHour>();
const MAX_CACHE = 200_000;

export interface LocalHour {
  /** YYYY-MM-DD, site-local. */
  date: string;
  /** 0–23, site-local. */
  hour: number;
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Is this an IANA zone Intl knows? */
export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** A UTC instant → site-local date and hour. */
export function localHourOf(ms: number, timeZone: string): LocalHour {
  const parts = formatter(timeZone).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return { date: `${get('year')}-${get('month')}-${get('day')}`, hour: Number(get('hour')) % 24 };
}

/** 'YYYY-MM-DDTHH' (a UTC hour, as the store groups facts) → site-local date and hour; cached. */
export function localHourOfUtcHour(utcHour: string, timeZone: string): LocalHour {
  const k = `${timeZone}|${utcHour}`;
  let v = hourCache.get(k);
  if (!v) {
    v = localHourOf(Date.parse(`${utcHour}:00:00.000Z`), timeZone);
    if (hourCache.size >= MAX_CACHE) hourCache.clear();
    hourCache.set(k, v);
  }
  return v;
}

/** Day of the week of a calendar date, 0 = Sunday. */
export function weekdayOf(date: string): number {
  return new Date(`${date}T00:00:00.000Z`).getUTCDay();
}

/** Inclusive list of dates from..to; throws RangeError past `max`. */
export function datesBetween(from: string, to: string, max = 366): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00.000Z`); t <= Date.parse(`${to}T00:00:00.000Z`); t += 86_400_000) {
    if (out.length >= max) throw new RangeError(`more than ${max} days between ${from} and ${to}`);
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** UTC instant at which a site-local date begins (first instant whose local date is `date`). */
export function startOfLocalDate(date: string, timeZone: string): number {
  // Local midnight lies within ±14 h of UTC midnight; find it by hour steps, then minutes.
  let t = Date.parse(`${date}T00:00:00.000Z`) - 15 * 3_600_000;
  while (localHourOf(t, timeZone).date < date) t += 3_600_000;
  t -= 3_600_000;
  while (localHourOf(t, timeZone).date < date) t += 60_000;
  return t;
}
