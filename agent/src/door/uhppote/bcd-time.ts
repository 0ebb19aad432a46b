// The controllers' clock: 7 BCD bytes yyyy mm dd HH MM SS in local time with no zone
// (README.md "Time"). Pure; the zone comes from the source config.

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export const BCD_TIME_BYTES = 7;

const nibblesOk = (b: number): boolean => b >> 4 <= 9 && (b & 0xf) <= 9;
const fromBcd = (b: number): number => (b >> 4) * 10 + (b & 0xf);
const toBcd = (n: number): number => ((Math.floor(n / 10) % 10) << 4) | n % 10;

/** True when all 7 bytes are valid BCD digits (each nibble 0–9). */
export function isBcd(p: Uint8Array, at: number): boolean {
  for (let i = at; i < at + BCD_TIME_BYTES; i++) if (!nibblesOk(p[i]!)) return false;
  return true;
}

const daysIn = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate();

/**
 * Decodes valid BCD (check isBcd first) into a calendar time; null for a time that is not one:
 * all zero, the "2000-00-00 00:00:00" of an unset clock, or an impossible date such as 31 Feb.
 */
export function decodeBcdTime(p: Uint8Array, at: number): LocalTime | null {
  const d = Array.from(p.subarray(at, at + BCD_TIME_BYTES), fromBcd);
  const t: LocalTime = { year: d[0]! * 100 + d[1]!, month: d[2]!, day: d[3]!, hour: d[4]!, minute: d[5]!, second: d[6]! };
  if (t.year < 2000 || t.month < 1 || t.month > 12 || t.day < 1 || t.day > daysIn(t.year, t.month)) return null;
  if (t.hour > 23 || t.minute > 59 || t.second > 59) return null;
  return t;
}

export function encodeBcdTime(t: LocalTime, p: Uint8Array, at: number): void {
  const digits = [Math.floor(t.year / 100), t.year % 100, t.month, t.day, t.hour, t.minute, t.second];
  for (let i = 0; i < BCD_TIME_BYTES; i++) p[at + i] = toBcd(digits[i]!);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Offset of `timeZone` from UTC at instant `at` (ms): local wall clock minus UTC. */
function zoneOffset(at: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const x of formatter(timeZone).formatToParts(at)) parts[x.type] = Number(x.value);
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) - (at - (at % 1000));
}

/**
 * Controller-local wall time in an IANA zone → Unix ms; 0 when unknown. Two passes settle the
 * offset across DST changes; a wall time inside a spring-forward gap lands after the gap.
 */
export function localToEpochMs(t: LocalTime | null, timeZone: string): number {
  if (!t) return 0;
  const naive = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  const first = naive - zoneOffset(naive, timeZone);
  return naive - zoneOffset(first, timeZone);
}

/** Unix ms → wall time in `timeZone` (the emulator's clock). */
export function epochToLocal(ms: number, timeZone: string): LocalTime {
  const p: Record<string, number> = {};
  for (const x of formatter(timeZone).formatToParts(ms)) p[x.type] = Number(x.value);
  return { year: p.year!, month: p.month!, day: p.day!, hour: p.hour!, minute: p.minute!, second: p.second! };
}
