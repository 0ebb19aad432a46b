// Debounce, pure: samples and times in, settled changes out.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Debouncer } from './gpio-debounce.js';

type Sample = readonly [0 | 1, number];
const run = (d: Debouncer, samples: readonly Sample[]) => samples.map(([v, t]) => d.sample(v, t));

describe('Debouncer', () => {
  it.each([
    ['a clean change settles after the window', 50, [[1, 0], [1, 49], [1, 50]], [null, null, 1], 0],
    ['a bounce back to the stable level emits nothing', 50, [[1, 0], [0, 10], [1, 20], [0, 30]], [null, null, null, null], 2],
    ['chatter then a hold emits once, timed from the last change', 50, [[1, 0], [0, 5], [1, 10], [1, 59], [1, 60]], [null, null, null, null, 1], 1],
    ['zero debounce passes every change', 0, [[1, 0], [0, 1], [0, 2], [1, 3]], [1, 0, null, 1], 0],
    ['a change and its return both settle', 20, [[1, 0], [1, 20], [0, 30], [0, 50]], [null, 1, null, 0], 0],
  ] as const)('%s', (_name, ms, samples, expected, bounces) => {
    const d = new Debouncer(ms, 0);
    expect(run(d, samples)).toEqual(expected);
    expect(d.bounces).toBe(bounces);
  });

  it('the first level to settle is the starting point, not a change', () => {
    const d = new Debouncer(30);
    expect(d.level).toBeNull();
    // A contact read mid-bounce at start-up: 1, then 0 that holds.
    expect(run(d, [[1, 0], [0, 2], [0, 31], [0, 32]])).toEqual([null, null, null, null]);
    expect(d.level).toBe(0);
    expect(run(d, [[1, 40], [1, 70]])).toEqual([null, 1]);
  });

  it('deadline is when a pending change would settle', () => {
    const d = new Debouncer(50, 0);
    expect(d.deadline()).toBeNull();
    d.sample(1, 100);
    expect(d.deadline()).toBe(150);
    d.sample(0, 110);
    expect(d.deadline()).toBeNull();
  });

  it('property: reports alternate, each only after its level held for the window, and every held level is reported', () => {
    const samples = fc.array(fc.tuple(fc.constantFrom<0 | 1>(0, 1), fc.integer({ min: 1, max: 40 })), { minLength: 1, maxLength: 200 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), samples, (ms, steps) => {
        const d = new Debouncer(ms, 0);
        let t = 0;
        const seen: Sample[] = [];
        let last: 0 | 1 = 0;
        for (const [v, dt] of steps) {
          t += dt;
          seen.push([v, t]);
          const out = d.sample(v, t);
          if (out === null) continue;
          expect(out).not.toBe(last);
          last = out;
          // Held: no other value sampled within the window before this report.
          const since = seen.filter(([, at]) => at >= t - ms);
          expect(since.every(([x]) => x === out)).toBe(true);
        }
        expect(d.level).toBe(last);
        // Held long enough and then sampled again: it must have been reported.
        const [v] = steps[steps.length - 1]!;
        d.sample(v, t + ms);
        expect(d.level).toBe(v);
      }),
      { numRuns: 300 },
    );
  });
});
