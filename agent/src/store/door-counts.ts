// Hourly door counts for the cloud (CLOUD-LINK.md §5.2): once an hour has closed, one record per
// door with granted and denied unlocks, door openings and plays started. Counted from the
// door events still held plus the hours the budget rolled up, so a roll-up loses nothing.
// Their own outbox and AUTOINCREMENT sequence, never reused; rows leave only when acked.
import type { Db } from './database.js';
import { guard } from './errors.js';

const HOUR = 3_600_000;
const CURSOR = 'door-counts.next-hour';

export interface DoorCountBody {
  door: number;
  hourStart: string;
  unlocksGranted: number;
  unlocksDenied: number;
  doorOpens: number;
  impressions: number;
  bootId: string;
  clockSynced: boolean;
}

export type QueuedDoorCount = DoorCountBody & { deviceSeq: number };

interface Tally {
  unlocksGranted: number;
  unlocksDenied: number;
  doorOpens: number;
  impressions: number;
  synced: boolean;
}

export class DoorCounts {
  constructor(
    readonly db: Db,
    readonly dir: string,
  ) {}

  /** In the caller's play transaction: one more play at `door` in the hour of `wallMs`. */
  notePlay(door: number, wallMs: number): void {
    this.db.prepare('INSERT INTO play_hours (hour_ms, door, count) VALUES (?, ?, 1) ON CONFLICT (hour_ms, door) DO UPDATE SET count = count + 1').run(Math.floor(wallMs / HOUR) * HOUR, door);
  }

  /**
   * Appends the records of every hour that closed before `nowMs` and was not counted yet, in
   * one transaction with the cursor. At most `maxHours` per call (a long-offline box catches
   * up over several calls). Returns how many records were appended.
   */
  closeHours(nowMs: number, doorNumber: (doorId: string) => number, bootId: string, maxHours = 24 * 7): number {
    return guard(
      'count door hours',
      () =>
        this.db.transaction(() => {
          const cursorRow = this.db.prepare('SELECT value FROM sync_state WHERE key = ?').get(CURSOR) as { value: string } | undefined;
          const end = Math.floor(nowMs / HOUR) * HOUR;
          let from = cursorRow ? Number(cursorRow.value) : this.#firstHour(end);
          const stop = Math.min(end, from + maxHours * HOUR);
          let appended = 0;
          const insert = this.db.prepare('INSERT OR IGNORE INTO door_count_outbox (hour_ms, door, body) VALUES (?, ?, ?)');
          for (; from < stop; from += HOUR) {
            for (const [door, t] of this.#tally(from, doorNumber)) {
              const body: DoorCountBody = { door, hourStart: new Date(from).toISOString(), unlocksGranted: t.unlocksGranted, unlocksDenied: t.unlocksDenied, doorOpens: t.doorOpens, impressions: t.impressions, bootId, clockSynced: t.synced };
              appended += insert.run(from, door, JSON.stringify(body)).changes;
            }
          }
          this.db.prepare('INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(CURSOR, String(Math.max(from, stop)));
          this.db.prepare('DELETE FROM play_hours WHERE hour_ms < ?').run(stop - 48 * HOUR);
          return appended;
        })(),
      this.dir,
    );
  }

  readOldest(limit: number, afterSeq = 0): QueuedDoorCount[] {
    const rows = guard('read door counts', () => this.db.prepare('SELECT device_seq, body FROM door_count_outbox WHERE device_seq > ? ORDER BY device_seq LIMIT ?').all(afterSeq, Math.min(Math.max(1, limit), 10_000))) as { device_seq: number; body: string }[];
    return rows.map((r) => ({ deviceSeq: r.device_seq, ...(JSON.parse(r.body) as DoorCountBody) }));
  }

  deleteAcked(seqs: readonly number[]): number {
    const del = this.db.prepare('DELETE FROM door_count_outbox WHERE device_seq = ?');
    return guard('delete acked door counts', () => this.db.transaction(() => seqs.reduce((n, s) => n + del.run(s).changes, 0))(), this.dir);
  }

  depth(): number {
    return guard('door count depth', () => this.db.prepare('SELECT count(*) FROM door_count_outbox').pluck().get() as number);
  }

  #firstHour(end: number): number {
    const r = this.db.prepare('SELECT min(wall_time_ms) AS t FROM door_events').get() as { t: number | null };
    return r.t === null ? end : Math.floor(r.t / HOUR) * HOUR;
  }

  #tally(hour: number, doorNumber: (doorId: string) => number): Map<number, Tally> {
    const out = new Map<number, Tally>();
    const at = (door: number) => {
      let t = out.get(door);
      if (!t) {
        t = { unlocksGranted: 0, unlocksDenied: 0, doorOpens: 0, impressions: 0, synced: true };
        out.set(door, t);
      }
      return t;
    };
    const events = this.db
      .prepare(`SELECT door, sum(kind = 'unlock' AND granted = 1) AS g, sum(kind = 'unlock' AND granted = 0) AS d, sum(kind = 'door-state' AND state = 'opened') AS o, min(clock_synced) AS s
        FROM door_events WHERE wall_time_ms >= ? AND wall_time_ms < ? GROUP BY door`)
      .all(hour, hour + HOUR) as { door: string; g: number; d: number; o: number; s: number }[];
    for (const e of events) {
      const t = at(doorNumber(e.door));
      t.unlocksGranted += e.g;
      t.unlocksDenied += e.d;
      t.doorOpens += e.o;
      t.synced &&= e.s === 1;
    }
    const rolled = this.db.prepare('SELECT door, kind, outcome, clock_synced AS s, count FROM door_event_rollups WHERE hour_ms = ?').all(hour) as { door: string; kind: string; outcome: string; s: number; count: number }[];
    for (const r of rolled) {
      const t = at(doorNumber(r.door));
      if (r.kind === 'unlock' && r.outcome === 'granted') t.unlocksGranted += r.count;
      else if (r.kind === 'unlock') t.unlocksDenied += r.count;
      else if (r.outcome === 'opened') t.doorOpens += r.count;
      t.synced &&= r.s === 1;
    }
    for (const p of this.db.prepare('SELECT door, count FROM play_hours WHERE hour_ms = ?').all(hour) as { door: number; count: number }[]) at(p.door).impressions += p.count;
    return out;
  }
}
