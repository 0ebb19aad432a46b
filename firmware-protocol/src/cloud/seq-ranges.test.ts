import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandRanges, rangesContain, toRanges } from './seq-ranges.js';

describe('seq ranges (CLOUD-LINK.md §5.3)', () => {
  it('compresses and expands', () => {
    expect(toRanges([5, 1, 2, 3, 9, 3, 10])).toEqual([
      [1, 3],
      [5, 5],
      [9, 10],
    ]);
    expect(expandRanges([[1, 3], [5, 5]])).toEqual([1, 2, 3, 5]);
    expect(rangesContain([[1, 3]], 2)).toBe(true);
    expect(rangesContain([[1, 3]], 4)).toBe(false);
    expect(() => expandRanges([[1, 10_000]])).toThrow(RangeError);
  });
  it('expand(toRanges(s)) is the sorted set of s', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 2000 }), { maxLength: 400 }), (seqs) => {
        expect(expandRanges(toRanges(seqs))).toEqual([...new Set(seqs)].sort((a, b) => a - b));
      }),
    );
  });
});
