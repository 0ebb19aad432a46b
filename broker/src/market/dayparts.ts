// The network's dayparts: fixed, site-local, covering the day without gaps. A slot is one
// site × daypart × date (DESIGN.md "Names"). Pure.
import { z } from 'zod';

export const DAYPARTS = [
  { id: 'night', start: 0, end: 6 },
  { id: 'morning', start: 6, end: 10 },
  { id: 'midday', start: 10, end: 14 },
  { id: 'afternoon', start: 14, end: 17 },
  { id: 'evening', start: 17, end: 21 },
  { id: 'late', start: 21, end: 24 },
] as const;

export type DaypartId = (typeof DAYPARTS)[number]['id'];
export const DAYPART_IDS = DAYPARTS.map((d) => d.id) as [DaypartId, ...DaypartId[]];
export const DaypartSchema = z.enum(DAYPART_IDS);

const BY_HOUR: DaypartId[] = Array.from({ length: 24 }, (_, h) => DAYPARTS.find((d) => h >= d.start && h < d.end)!.id);

/** Site-local hour 0–23 → its daypart. */
export function daypartOfHour(hour: number): DaypartId {
  const d = BY_HOUR[hour];
  if (!d) throw new RangeError(`hour ${hour} is not 0–23`);
  return d;
}

export function daypart(id: DaypartId): (typeof DAYPARTS)[number] {
  return DAYPARTS.find((d) => d.id === id)!;
}

/** The targeting window of a daypart (agent/src/targeting/campaign.ts WindowSchema: [start, end), 24:00 as 00:00). */
export function daypartWindow(id: DaypartId): { start: string; end: string } {
  const d = daypart(id);
  const hh = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
  return { start: hh(d.start), end: hh(d.end) };
}

/** Site-local hours of a daypart. */
export function hoursOf(id: DaypartId): number[] {
  const d = daypart(id);
  return Array.from({ length: d.end - d.start }, (_, i) => d.start + i);
}
