import { describe, expect, it } from 'vitest';
import { type ClosedWindow, DwellTracker, type DwellWindow } from './dwell.js';

function tracker(o = { graceMs: 3000, maxMs: 30_000, typicalMs: 6000 }) {
  const opened: DwellWindow[] = [];
  const closed: ClosedWindow[] = [];
  const t = new DwellTracker(o, { opened: (w) => opened.push(w), closed: (w) => closed.push(w) });
  return { t, opened, closed };
}

describe('DwellTracker', () => {
  it('opens on unlock and closes at door-closed plus grace', () => {
    const { t, closed } = tracker();
    t.unlock('east', 1000, 'card', 'k1.abc');
    t.doorState('east', 'opened', 2000);
    t.doorState('east', 'closed', 6000);
    expect(t.current('east', 8000)?.expectedRemainingMs).toBe(1000);
    t.expire(8999);
    expect(closed).toHaveLength(0);
    t.expire(9000);
    expect(closed).toEqual([expect.objectContaining({ door: 'east', endedAt: 9000, reason: 'door-closed', pseudonym: 'k1.abc' })]);
    expect(t.current('east', 9000)).toBeNull();
  });

  it('closes at the maximum when the door never closes', () => {
    const { t, closed } = tracker();
    t.unlock('east', 0, 'qr', null);
    expect(t.nextDeadline()).toBe(30_000);
    t.expire(30_000);
    expect(closed[0]).toMatchObject({ reason: 'max', endedAt: 30_000 });
  });

  it('a new unlock during a window starts a new window for the next resident', () => {
    const { t, opened, closed } = tracker();
    t.unlock('east', 0, 'card', 'k1.a');
    t.unlock('east', 2000, 'face', 'k1.b');
    expect(closed).toEqual([expect.objectContaining({ pseudonym: 'k1.a', reason: 'next-unlock', endedAt: 2000 })]);
    expect(opened.map((w) => w.pseudonym)).toEqual(['k1.a', 'k1.b']);
    expect(t.current('east', 2500)?.window.pseudonym).toBe('k1.b');
  });

  it('doors are independent', () => {
    const { t } = tracker();
    t.unlock('east', 0, 'card', 'k1.a');
    t.unlock('west', 100, 'card', 'k1.b');
    t.doorState('east', 'closed', 1000);
    t.expire(4000);
    expect(t.current('east', 4000)).toBeNull();
    expect(t.current('west', 4000)?.window.pseudonym).toBe('k1.b');
  });

  it('re-opening during grace cancels the close; held and forced open change nothing', () => {
    const { t, closed } = tracker();
    t.unlock('east', 0, 'card', null);
    t.doorState('east', 'closed', 1000);
    t.doorState('east', 'opened', 2000);
    t.doorState('east', 'held-open', 2500);
    t.doorState('west', 'forced-open', 2500);
    t.expire(10_000);
    expect(closed).toHaveLength(0);
    expect(t.nextDeadline()).toBe(30_000);
  });

  it('estimates remaining dwell before the door closes from the typical time', () => {
    const { t } = tracker();
    t.unlock('east', 0, 'card', null);
    expect(t.current('east', 1000)?.expectedRemainingMs).toBe(8000); // 6000 typical + 3000 grace − 1000
    expect(t.current('east', 20_000)?.expectedRemainingMs).toBe(0);
  });

  it('stop closes everything', () => {
    const { t, closed } = tracker();
    t.unlock('east', 0, 'card', null);
    t.stop(5);
    expect(closed[0]).toMatchObject({ reason: 'stopped', endedAt: 5 });
  });

  it('rejects nonsense options', () => {
    expect(() => tracker({ graceMs: -1, maxMs: 1, typicalMs: 1 })).toThrow(TypeError);
  });
});
