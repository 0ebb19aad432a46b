// catch-up.ts: which get-event requests go out when, and what is given up, on a fake clock.
import { describe, expect, it } from 'vitest';
import { CatchUp } from './catch-up.js';

const S = 7;
const idx = (r: { requests: { index: number }[] }) => r.requests.map((q) => q.index);

describe('CatchUp', () => {
  it('the first push only sets the mark; consecutive pushes need nothing', () => {
    const c = new CatchUp();
    expect(c.live(S, 40, 0)).toEqual([]);
    expect(c.live(S, 41, 0)).toEqual([]);
    expect(c.due(0)).toEqual({ requests: [], lost: [] });
    expect(c.nextAt()).toBeNull();
  });

  it('a gap is fetched a window at a time; replies free the window', () => {
    const c = new CatchUp({ window: 2 });
    c.live(S, 10, 0);
    c.live(S, 15, 0);
    expect(c.pending).toBe(4);
    expect(idx(c.due(0))).toEqual([11, 12]);
    expect(idx(c.due(1))).toEqual([]);
    c.arrived(S, 11);
    expect(idx(c.due(2))).toEqual([13]);
    c.arrived(S, 12);
    c.arrived(S, 13);
    expect(idx(c.due(3))).toEqual([14]);
    c.arrived(S, 14);
    expect(c.pending).toBe(0);
    expect(c.nextAt()).toBeNull();
  });

  it('unanswered requests are repeated after the timeout, then reported lost', () => {
    const c = new CatchUp({ window: 8, timeoutMs: 100, attempts: 2 });
    c.live(S, 1, 0);
    c.live(S, 3, 0);
    expect(idx(c.due(0))).toEqual([2]);
    expect(c.nextAt()).toBe(100);
    expect(idx(c.due(99))).toEqual([]);
    expect(idx(c.due(100))).toEqual([2]);
    expect(c.due(200)).toEqual({ requests: [], lost: [{ serial: S, from: 2, to: 2, reason: 'no-reply' }] });
    expect(c.pending).toBe(0);
  });

  it('a gap larger than maxGap fetches the newest and reports the rest at once', () => {
    const c = new CatchUp({ maxGap: 3, window: 10 });
    c.live(S, 100, 0);
    expect(c.live(S, 110, 0)).toEqual([{ serial: S, from: 101, to: 106, reason: 'gap-too-large' }]);
    expect(idx(c.due(0))).toEqual([107, 108, 109]);
  });

  it('a late push of a missing index counts as arrived; older pushes do not move the mark', () => {
    const c = new CatchUp();
    c.live(S, 5, 0);
    c.live(S, 8, 0);
    c.live(S, 6, 0);
    expect(idx(c.due(0))).toEqual([7]);
    c.live(S, 8, 0); // a repeat
    expect(c.pending).toBe(1);
  });

  it('overwritten records are lost; unstored ones are fetched again later, a bounded number of times', () => {
    const c = new CatchUp({ attempts: 2, storeRetryMs: 1000 });
    c.live(S, 1, 0);
    c.live(S, 3, 0);
    c.due(0);
    expect(c.overwritten(S, 2)).toEqual({ serial: S, from: 2, to: 2, reason: 'overwritten' });
    expect(c.pending).toBe(0);
    expect(c.notStored(S, 3, 0)).toEqual([]);
    expect(idx(c.due(999))).toEqual([]);
    expect(c.nextAt()).toBe(1000);
    expect(idx(c.due(1000))).toEqual([3]);
    expect(c.notStored(S, 3, 1001)).toEqual([]);
    expect(idx(c.due(2001))).toEqual([3]);
    expect(c.notStored(S, 3, 2002)).toEqual([{ serial: S, from: 3, to: 3, reason: 'not-stored' }]);
    expect(c.pending).toBe(0);
  });

  it('controllers are tracked apart', () => {
    const c = new CatchUp();
    c.live(1, 1, 0);
    c.live(2, 50, 0);
    c.live(1, 3, 0);
    c.live(2, 52, 0);
    expect(c.due(0).requests).toEqual([
      { serial: 1, index: 2 },
      { serial: 2, index: 51 },
    ]);
  });
});
