// The impressions outbox. device_seq is AUTOINCREMENT, so it is never reused, even after
// rows are deleted and the agent restarts (sqlite_sequence keeps the high-water mark).
// Rows leave only through deleteAcked, after the cloud has committed them (DESIGN.md rule 2).
import type { Stamp } from '../clock/clock.js';
import type { Db } from './database.js';
import { StoreError } from './errors.js';

export interface OutboxRow {
  deviceSeq: number;
  impressionId: string;
  body: unknown;
  wallTimeMs: number;
  bootId: string;
  monoMs: number;
  clockSynced: boolean;
}

export class Outbox {
  readonly #append;
  readonly #oldest;
  readonly #delete;
  readonly #depth;
  readonly #oldestAt;

  constructor(readonly db: Db) {
    this.#append = db.prepare(`INSERT INTO impressions_outbox (impression_id, body, wall_time_ms, boot_id, mono_ms, clock_synced, created_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.#oldest = db.prepare('SELECT * FROM impressions_outbox WHERE device_seq > ? ORDER BY device_seq LIMIT ?');
    this.#delete = db.prepare('DELETE FROM impressions_outbox WHERE device_seq = ?');
    this.#depth = db.prepare('SELECT count(*) AS n FROM impressions_outbox');
    this.#oldestAt = db.prepare('SELECT min(created_ms) AS t FROM impressions_outbox');
  }

  /** Appends one impression; returns its device sequence number. Call inside a transaction with its counters. */
  append(impressionId: string, body: unknown, stamp: Stamp): number {
    try {
      const r = this.#append.run(impressionId, JSON.stringify(body), stamp.wallMs, stamp.bootId, stamp.monoMs, stamp.clockSynced ? 1 : 0, Date.now());
      return Number(r.lastInsertRowid);
    } catch (err) {
      throw StoreError.from(err, 'append impression');
    }
  }

  /** Oldest first, after `afterSeq` (for a bounded in-flight window). */
  readOldest(limit: number, afterSeq = 0): OutboxRow[] {
    return (this.#oldest.all(afterSeq, limit) as Record<string, unknown>[]).map((r) => ({
      deviceSeq: r.device_seq as number,
      impressionId: r.impression_id as string,
      body: JSON.parse(r.body as string) as unknown,
      wallTimeMs: r.wall_time_ms as number,
      bootId: r.boot_id as string,
      monoMs: r.mono_ms as number,
      clockSynced: r.clock_synced === 1,
    }));
  }

  /** Deletes acked rows in one durable transaction; unknown seqs are ignored (acks are idempotent). */
  deleteAcked(seqs: readonly number[]): number {
    try {
      return this.db.transaction(() => seqs.reduce((n, s) => n + this.#delete.run(s).changes, 0))();
    } catch (err) {
      throw StoreError.from(err, 'delete acked impressions');
    }
  }

  depth(): number {
    return (this.#depth.get() as { n: number }).n;
  }

  /** Age of the oldest unsynced impression in ms, or 0 when the outbox is empty. */
  oldestAgeMs(now = Date.now()): number {
    const t = (this.#oldestAt.get() as { t: number | null }).t;
    return t === null ? 0 : Math.max(0, now - t);
  }
}
