// Site-local calendar time from a Unix ms instant and an IANA zone (DST-correct via Intl).
// Formatters are cached per zone: building one costs far more than using it.
export interface SiteTime {
  /** YYYY-MM-DD, site-local. */
  day: string;
  /** 0 = Sunday. */
  dow: number;
  /** Minutes since local midnight. */
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const DOW: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

let last: { zone: string; minute: number; value: SiteTime } | undefined;

export function siteTime(nowMs: number, timeZone: string): SiteTime {
  // Every unlock in the same minute asks the same question; Intl is the expensive part.
  const minute = Math.floor(nowMs / 60_000);
  if (last && last.minute === minute && last.zone === timeZone) return last.value;
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short' });
    formatters.set(timeZone, f);
  }
  const p: Record<string, string> = {};
  for (const x of f.formatToParts(nowMs)) p[x.type] = x.value;
  const value = { day: `${p.year}-${p.month}-${p.day}`, dow: DOW[p.weekday!] ?? 0, minute: Number(p.hour) * 60 + Number(p.minute) };
  last = { zone: timeZone, minute, value };
  return value;
}

export const toMinute = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** [start, end) in minutes; end ≤ start wraps midnight. */
export function inWindow(minute: number, w: { start: string; end: string }): boolean {
  const s = toMinute(w.start);
  const e = toMinute(w.end);
  return s < e ? minute >= s && minute < e : minute >= s || minute < e;
}

/** The day `n` days before `day` (YYYY-MM-DD, calendar arithmetic in UTC). */
export function daysBefore(day: string, n: number): string {
  const t = Date.parse(`${day}T00:00:00Z`) - n * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}
