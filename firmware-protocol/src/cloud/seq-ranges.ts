// Compact sets of device sequence numbers as inclusive [first, last] ranges. CLOUD-LINK.md §5.3
import { z } from 'zod';
import { DeviceSeqSchema } from './impressions.js';
import { MAX_BATCH_RECORDS } from './limits.js';

export type SeqRange = [first: number, last: number];

export const SeqRangesSchema = z
  .array(z.tuple([DeviceSeqSchema, DeviceSeqSchema]).refine(([a, b]) => a <= b, 'range first must be ≤ last'))
  .max(MAX_BATCH_RECORDS);

/** Sorted, merged ranges covering exactly `seqs` (duplicates allowed in the input). */
export function toRanges(seqs: Iterable<number>): SeqRange[] {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const out: SeqRange[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s === last[1] + 1) last[1] = s;
    else out.push([s, s]);
  }
  return out;
}

/** Every seq in `ranges`, ascending. Throws RangeError past `limit` (acks cover one batch). */
export function expandRanges(ranges: ReadonlyArray<readonly [number, number]>, limit = MAX_BATCH_RECORDS): number[] {
  const out: number[] = [];
  for (const [a, b] of ranges) {
    if (b - a + 1 + out.length > limit) throw new RangeError(`ranges cover more than ${limit} seqs`);
    for (let s = a; s <= b; s++) out.push(s);
  }
  return out;
}

export function rangesContain(ranges: ReadonlyArray<readonly [number, number]>, seq: number): boolean {
  return ranges.some(([a, b]) => seq >= a && seq <= b);
}
