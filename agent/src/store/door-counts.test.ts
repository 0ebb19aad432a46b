// Hourly door counts: each closed hour counted once per door, from stored and rolled-up
// events and recorded plays; their own outbox, deleted only when acked.
import { describe, expect, it } from 'vitest';
import { doorState, openStore, play, row, stamp, T0 } from './testing.js';

const HOUR = 3_600_000;
const H = Math.floor(T0 / HOUR) * HOUR;
const BOOT = '6f1c2b7e-3f4a-4d8e-9b1a-2c3d4e5f6a7b';
const doorNumber = (d: string) => ({ 'east-gate': 1, 'west-gate': 2 })[d] ?? 9;

describe('door counts', () => {
  it('counts each closed hour once per door: unlocks granted and denied, opens, plays', () => {
    const s = openStore();
    s.insertDoorEvent(row(1, { wallTimeMs: H + 10_000 }));
    s.insertDoorEvent(row(2, { wallTimeMs: H + 20_000, granted: false }));
    s.insertDoorEvent(doorState(3, 'opened', { wallTimeMs: H + 30_000 }));
    s.insertDoorEvent(row(4, { wallTimeMs: H + 40_000, door: 'west-gate', clockSynced: false }));
    s.insertDoorEvent(row(5, { wallTimeMs: H + HOUR + 5000 }));
    s.recordPlay(play({ door: 1 }), stamp({ wallMs: H + 12_000 }));
    s.recordPlay(play({ door: 1 }), stamp({ wallMs: H + 13_000 }));

    // The current hour is still open: nothing for it yet.
    expect(s.doorCounts.closeHours(H + 30 * 60_000, doorNumber, BOOT)).toBe(0);
    expect(s.doorCounts.closeHours(H + HOUR + 60_000, doorNumber, BOOT)).toBe(2);
    const first = s.doorCounts.readOldest(10);
    expect(first).toEqual([
      { deviceSeq: 1, door: 1, hourStart: new Date(H).toISOString(), unlocksGranted: 1, unlocksDenied: 1, doorOpens: 1, impressions: 2, bootId: BOOT, clockSynced: true },
      { deviceSeq: 2, door: 2, hourStart: new Date(H).toISOString(), unlocksGranted: 1, unlocksDenied: 0, doorOpens: 0, impressions: 0, bootId: BOOT, clockSynced: false },
    ]);
    // Again: nothing new. The next hour once it closes.
    expect(s.doorCounts.closeHours(H + HOUR + 120_000, doorNumber, BOOT)).toBe(0);
    expect(s.doorCounts.closeHours(H + 2 * HOUR + 1, doorNumber, BOOT)).toBe(1);
    expect(s.doorCounts.deleteAcked([1, 2, 99])).toBe(2);
    expect(s.doorCounts.readOldest(10).map((r) => [r.deviceSeq, r.unlocksGranted])).toEqual([[3, 1]]);
  });

  it('hours the budget rolled up still count', () => {
    const s = openStore({ budget: { maxDoorEvents: 1000, maxBytes: 2 ** 30 }, budgetEvery: Number.MAX_SAFE_INTEGER });
    s.transaction(() => {
      for (let i = 1; i <= 1200; i++) s.insertDoorEvent(row(i, { wallTimeMs: H + i * 1000, granted: i % 4 !== 0 }));
    });
    s.enforceBudget();
    expect(s.doorEvents.count()).toBeLessThan(1200);
    s.doorCounts.closeHours(H + 3 * HOUR, doorNumber, BOOT);
    const all = s.doorCounts.readOldest(10);
    expect(all.reduce((n, r) => n + r.unlocksGranted + r.unlocksDenied, 0)).toBe(1200);
    expect(all.reduce((n, r) => n + r.unlocksDenied, 0)).toBe(300);
  });
});
