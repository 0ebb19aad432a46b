// Raw video from a pipe arrives in chunks of any size: the splitter must give back exactly the
// frames that went in, whatever the cut.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameSplitter } from './frame-splitter.js';

const bytes = (n: number, from = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (from + i) & 0xff));

describe('FrameSplitter', () => {
  it.each([
    ['one chunk, two whole frames', [10], 5, 2, 0],
    ['a frame split across three chunks', [2, 2, 1], 5, 1, 0],
    ['a chunk ending mid-frame keeps the rest pending', [7], 5, 1, 2],
    ['chunks of one byte', [1, 1, 1, 1, 1, 1], 3, 2, 0],
    ['a chunk larger than several frames with a tail', [3, 20], 5, 4, 3],
  ])('%s', (_name, cuts, size, frames, pending) => {
    const s = new FrameSplitter(size);
    const data = bytes(cuts.reduce((a, b) => a + b, 0));
    let at = 0;
    const out = cuts.flatMap((n) => {
      const c = data.subarray(at, at + n);
      at += n;
      return s.push(c);
    });
    expect(out).toHaveLength(frames);
    expect(out.every((f, i) => f.equals(data.subarray(i * size, (i + 1) * size)))).toBe(true);
    expect(s.pending).toBe(pending);
  });

  it('frames do not alias the chunk they came from (the pipe may reuse it)', () => {
    const s = new FrameSplitter(4);
    const chunk = bytes(8);
    const [a] = s.push(chunk);
    chunk.fill(0xee);
    expect([...a!]).toEqual([0, 1, 2, 3]);
  });

  it('any chunking of a stream yields its frames in order, and nothing else', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 12 }), fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 40 }), (size, whole, cuts) => {
        const data = bytes(size * whole + (cuts[0] ?? 0) % size, 7);
        const s = new FrameSplitter(size);
        const out: Buffer[] = [];
        let at = 0;
        for (const n of [...cuts, data.length]) {
          if (at >= data.length) break;
          out.push(...s.push(data.subarray(at, Math.min(data.length, at + n))));
          at += n;
        }
        expect(Buffer.concat(out).equals(data.subarray(0, whole * size))).toBe(true);
        expect(out.every((f) => f.length === size)).toBe(true);
        expect(s.pending).toBe(data.length % size);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a frame size that is not positive', () => {
    expect(() => new FrameSplitter(0)).toThrow(RangeError);
  });
});
