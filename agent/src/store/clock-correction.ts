// Time is suspect (DESIGN.md rule 6). The model:
// - A Pi has no real-time clock: until NTP has synchronised it, Date.now() may be 1970 or the
//   last shutdown time. Every door event and impression therefore carries four facts:
//   wall_time_ms (as the clock said), boot_id (the kernel's, new at every boot), mono_ms
//   (monotonic ms since boot, never stepped) and clock_synced (0/1, was the clock trusted).
// - Within one boot, wall = mono + offset for one constant offset once synchronised. When the
//   clock becomes synchronised, correctClock(boot, offset) rewrites wall_time_ms of that
//   boot's rows still marked unsynced as mono_ms + offset and marks them synced, in one
//   durable transaction, and records the offset in `boots`. Rows stamped while synced are
//   never rewritten, so a repeated call is harmless.
// - Rows of an earlier boot that ended before its clock synchronised cannot be corrected (its
//   monotonic clock is gone): they keep clock_synced = 0 and are reported as such, so the
//   cloud and the reports can treat their times as approximate.
// - Door events rolled up before their correction are counted in the hour they were stamped
//   in, with clock_synced = 0 on the roll-up row.
import type { Db } from './database.js';
import { guard, StoreError } from './errors.js';

export interface BootRecord {
  bootId: string;
  firstSeenMs: number;
  /** When the clock of this boot was known synchronised, or null. */
  syncedMs: number | null;
  /** wall − mono for this boot once synchronised, or null. */
  offsetMs: number | null;
}

export class Boots {
  constructor(
    readonly db: Db,
    readonly dir: string,
  ) {}

  /** Records that this boot exists (first time the agent saw it). */
  note(bootId: string, nowMs: number): void {
    guard('note boot', () => this.db.prepare('INSERT INTO boots (boot_id, first_seen_ms) VALUES (?, ?) ON CONFLICT DO NOTHING').run(bootId, nowMs), this.dir);
  }

  get(bootId: string): BootRecord | undefined {
    const r = guard('read boot', () => this.db.prepare('SELECT boot_id, first_seen_ms, synced_ms, offset_ms FROM boots WHERE boot_id = ?').get(bootId)) as
      | { boot_id: string; first_seen_ms: number; synced_ms: number | null; offset_ms: number | null }
      | undefined;
    return r && { bootId: r.boot_id, firstSeenMs: r.first_seen_ms, syncedMs: r.synced_ms, offsetMs: r.offset_ms };
  }

  /**
   * The clock of boot `bootId` is synchronised and wall = mono + offsetMs. Corrects that boot's
   * unsynced door events and impressions; returns how many rows were corrected.
   */
  correct(bootId: string, offsetMs: number, nowMs: number): number {
    if (!Number.isSafeInteger(Math.round(offsetMs))) throw new StoreError('invalid', `correct clock: offsetMs is not a finite number (${offsetMs})`);
    const offset = Math.round(offsetMs);
    return guard(
      'correct clock',
      () =>
        this.db.transaction(() => {
          const a = this.db.prepare('UPDATE door_events SET wall_time_ms = mono_ms + ?, clock_synced = 1 WHERE boot_id = ? AND clock_synced = 0').run(offset, bootId).changes;
          const b = this.db.prepare('UPDATE impressions_outbox SET wall_time_ms = mono_ms + ?, clock_synced = 1 WHERE boot_id = ? AND clock_synced = 0').run(offset, bootId).changes;
          this.db
            .prepare(
              `INSERT INTO boots (boot_id, first_seen_ms, synced_ms, offset_ms) VALUES (?, ?, ?, ?)
               ON CONFLICT (boot_id) DO UPDATE SET synced_ms = coalesce(synced_ms, excluded.synced_ms), offset_ms = excluded.offset_ms`,
            )
            .run(bootId, nowMs, nowMs, offset);
          return a + b;
        })(),
      this.dir,
    );
  }
}
