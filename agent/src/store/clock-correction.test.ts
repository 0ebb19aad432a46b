import { describe, expect, it } from 'vitest';
import { BOOT_A, BOOT_B, doorState, openStore, play, row, stamp } from './testing.js';

const SYNCED_AT = 1_767_250_000_000;

describe('clock correction (DESIGN.md rule 6)', () => {
  it("rewrites the wall time of that boot's unsynced events and impressions from mono + offset", () => {
    const s = openStore();
    // Boot A started in 1970 (no RTC); boot B is another boot, also unsynced.
    s.insertDoorEvent(row(1, { bootId: BOOT_A, clockSynced: false, wallTimeMs: 86_400_000, monoMs: 10_000 }));
    s.insertDoorEvent(doorState(2, 'opened', { bootId: BOOT_A, clockSynced: false, wallTimeMs: 86_401_000, monoMs: 11_000 }));
    s.insertDoorEvent(row(3, { bootId: BOOT_B, clockSynced: false, wallTimeMs: 86_400_000, monoMs: 10_000 }));
    // Stamped after sync: already right, must not move.
    s.insertDoorEvent(row(4, { bootId: BOOT_A, clockSynced: true, wallTimeMs: SYNCED_AT + 99_999, monoMs: 12_000 }));
    s.outbox.append(play(), stamp({ bootId: BOOT_A, clockSynced: false, wallMs: 1, monoMs: 20_000 }));
    s.outbox.append(play(), stamp({ bootId: BOOT_B, clockSynced: false, wallMs: 1, monoMs: 20_000 }));

    expect(s.correctClock(BOOT_A, SYNCED_AT, SYNCED_AT + 30_000)).toBe(3);

    expect(s.db.prepare('SELECT seq, wall_time_ms AS w, clock_synced AS c FROM door_events ORDER BY seq').all()).toEqual([
      { seq: 1, w: SYNCED_AT + 10_000, c: 1 },
      { seq: 2, w: SYNCED_AT + 11_000, c: 1 },
      { seq: 3, w: 86_400_000, c: 0 },
      { seq: 4, w: SYNCED_AT + 99_999, c: 1 },
    ]);
    const [a, b] = s.outbox.readOldest(2);
    expect(a).toMatchObject({ wallTime: new Date(SYNCED_AT + 20_000).toISOString(), clockSynced: true });
    expect(b).toMatchObject({ wallTime: new Date(1).toISOString(), clockSynced: false });
    expect(s.state.boots.get(BOOT_A)).toEqual({ bootId: BOOT_A, firstSeenMs: SYNCED_AT + 30_000, syncedMs: SYNCED_AT + 30_000, offsetMs: SYNCED_AT });
    expect(s.state.boots.get(BOOT_B)).toBeUndefined();
  });

  it('is idempotent: a second call corrects nothing and keeps the first sync time', () => {
    const s = openStore();
    s.state.noteBoot(BOOT_A, 5);
    s.insertDoorEvent(row(1, { clockSynced: false, wallTimeMs: 0, monoMs: 10 }));
    expect(s.state.correctClock(BOOT_A, SYNCED_AT, 100)).toBe(1);
    expect(s.state.correctClock(BOOT_A, SYNCED_AT + 5, 200)).toBe(0);
    expect(s.db.prepare('SELECT wall_time_ms FROM door_events').pluck().get()).toBe(SYNCED_AT + 10);
    expect(s.state.boots.get(BOOT_A)).toEqual({ bootId: BOOT_A, firstSeenMs: 5, syncedMs: 100, offsetMs: SYNCED_AT + 5 });
  });

  it('rejects a non-finite offset without touching anything', () => {
    const s = openStore();
    s.insertDoorEvent(row(1, { clockSynced: false, wallTimeMs: 0, monoMs: 10 }));
    expect(() => s.correctClock(BOOT_A, Number.NaN)).toThrow(expect.objectContaining({ code: 'invalid' }));
    expect(s.db.prepare('SELECT clock_synced FROM door_events').pluck().get()).toBe(0);
  });

  it('rolled-up hours of uncorrected events are marked unsynced', () => {
    const s = openStore({ budget: { maxDoorEvents: 1000, maxBytes: 2 ** 30 }, budgetEvery: Number.MAX_SAFE_INTEGER });
    s.transaction(() => {
      for (let i = 1; i <= 1200; i++) s.insertDoorEvent(row(i, { clockSynced: i > 100, wallTimeMs: i > 100 ? SYNCED_AT + i : 86_400_000 + i }));
    });
    s.enforceBudget();
    expect(s.db.prepare('SELECT clock_synced, sum(count) AS n FROM door_event_rollups GROUP BY clock_synced').all()).toEqual([
      { clock_synced: 0, n: 100 },
      { clock_synced: 1, n: 200 },
    ]);
  });
});
