// The impressions outbox. device_seq is AUTOINCREMENT, so it is never reused, even after rows
// are deleted and the agent restarts (sqlite_sequence keeps the high-water mark), which is
// what makes the cloud's dedupe on (device, seq) safe (CLOUD-LINK.md §5.1). Rows leave only
// through deleteAcked, after the cloud has committed them (DESIGN.md rule 2); the budget never
// touches them.
//
// The play is a validated JSON body; its time stamp lives in typed columns, because
// correctClock rewrites it in place (DESIGN.md rule 6) and readOldest reports the corrected one.
import { z } from 'zod';
import type { Db } from './database.js';
import { guard, StoreError } from './errors.js';
import { check, ImpressionStampSchema, type Play, PlaySchema, type QueuedImpression, type Stamp } from './records.js';

// Bounded reads (DESIGN.md rule 3): SQLite would take a negative LIMIT as "everything".
const ReadSchema = z.strictObject({ limit: z.int().min(1).max(10_000), afterSeq: z.int().min(0) });
// Built once: zod compiles a schema on first use, and a drain reads hundreds of thousands of rows.
const BodySchema = PlaySchema.omit({ impressionId: true });

interface Row {
  device_seq: number;
  impression_id: string;
  body: string;
  wall_time_ms: number;
  boot_id: string;
  mono_ms: number;
  clock_synced: number;
}

export class Outbox {
  readonly #append;
  readonly #oldest;
  readonly #delete;
  readonly #depth;
  readonly #first;

  constructor(
    readonly db: Db,
    readonly dir: string,
  ) {
    this.#append = db.prepare('INSERT INTO impressions_outbox (impression_id, body, wall_time_ms, boot_id, mono_ms, clock_synced) VALUES (?, ?, ?, ?, ?, ?)');
    this.#oldest = db.prepare('SELECT * FROM impressions_outbox WHERE device_seq > ? ORDER BY device_seq LIMIT ?');
    this.#delete = db.prepare('DELETE FROM impressions_outbox WHERE device_seq = ?');
    this.#depth = db.prepare('SELECT count(*) FROM impressions_outbox').pluck();
    this.#first = db.prepare('SELECT wall_time_ms, boot_id, mono_ms FROM impressions_outbox ORDER BY device_seq LIMIT 1');
  }

  /**
   * Appends one impression; returns its device sequence number. Durable when it returns, or
   * part of the caller's transaction (Store.recordPlay, with its counter updates).
   * Throws StoreError 'invalid' (nothing written; also for a repeated impressionId), 'full', 'io'.
   */
  append(play: Play, stamp: Stamp): number {
    const p = check(PlaySchema, play, 'impression');
    const s = check(ImpressionStampSchema, stamp, 'impression stamp');
    const { impressionId, ...body } = p;
    try {
      return Number(this.#append.run(impressionId, JSON.stringify(body), s.wallMs, s.bootId, s.monoMs, s.clockSynced ? 1 : 0).lastInsertRowid);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new StoreError('invalid', `impression ${impressionId} is already in the outbox`, { impressionId });
      }
      throw StoreError.from(err, 'append impression', this.dir);
    }
  }

  /** Up to `limit` impressions, oldest first, after `afterSeq` (for a bounded in-flight window). */
  readOldest(limit: number, afterSeq = 0): QueuedImpression[] {
    check(ReadSchema, { limit, afterSeq }, 'read outbox');
    const rows = guard('read outbox', () => this.#oldest.all(afterSeq, limit) as Row[]);
    return rows.map((r) => {
      let body: unknown;
      try {
        body = JSON.parse(r.body);
      } catch {
        body = undefined;
      }
      const parsed = BodySchema.safeParse(body);
      if (!parsed.success) {
        throw new StoreError('corrupt', `outbox row ${r.device_seq} does not hold a valid impression`, { deviceSeq: r.device_seq });
      }
      return {
        impressionId: r.impression_id,
        ...parsed.data,
        deviceSeq: r.device_seq,
        wallTime: new Date(r.wall_time_ms).toISOString(),
        bootId: r.boot_id,
        monoMs: r.mono_ms,
        clockSynced: r.clock_synced === 1,
      };
    });
  }

  /** Deletes acked rows in one durable transaction; unknown seqs are ignored (acks are idempotent). Returns how many went. */
  deleteAcked(seqs: readonly number[]): number {
    return guard('delete acked impressions', () => this.db.transaction(() => seqs.reduce((n, s) => n + this.#delete.run(s).changes, 0))(), this.dir);
  }

  depth(): number {
    return guard('outbox depth', () => this.#depth.get() as number);
  }

  /**
   * Age in ms of the oldest impression not yet acked, 0 when empty. Measured on the monotonic
   * clock when the row is from this boot (immune to the clock being stepped at sync), else
   * from wall times.
   */
  oldestAgeMs(now: Stamp): number {
    const r = guard('outbox age', () => this.#first.get() as Pick<Row, 'wall_time_ms' | 'boot_id' | 'mono_ms'> | undefined);
    if (!r) return 0;
    return Math.max(0, r.boot_id === now.bootId ? now.monoMs - r.mono_ms : now.wallMs - r.wall_time_ms);
  }
}
