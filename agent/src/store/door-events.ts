// Door events: idempotent on (controller_id, seq), durable when insert returns.
import type { DoorEventRow } from '../ingest/pipeline.js';
import type { Db } from './database.js';
import { StoreError } from './errors.js';

export class DoorEvents {
  readonly #insert;
  readonly #count;
  readonly #floor;

  constructor(readonly db: Db) {
    this.#insert = db.prepare(`
      INSERT INTO door_events (controller_id, seq, source, door, kind, method, granted, reason, state,
        pseudonym, key_id, controller_time_ms, wall_time_ms, boot_id, mono_ms, clock_synced)
      VALUES (@controllerId, @seq, @source, @door, @kind, @method, @granted, @reason, @state,
        @pseudonym, @keyId, @controllerTimeMs, @wallTimeMs, @bootId, @monoMs, @clockSynced)
      ON CONFLICT DO NOTHING`);
    this.#count = db.prepare('SELECT count(*) AS n FROM door_events');
    this.#floor = db.prepare('SELECT max_seq FROM seq_floor WHERE controller_id = ?');
  }

  /** 'stored' when new, 'duplicate' when (controllerId, seq) was already stored. */
  insert(row: DoorEventRow): 'stored' | 'duplicate' {
    try {
      // A retransmission of an event already rolled up is still a duplicate.
      const floor = row.seq === null ? undefined : (this.#floor.get(row.controllerId) as { max_seq: number } | undefined);
      if (floor && row.seq !== null && row.seq <= floor.max_seq) return 'duplicate';
      const r = this.#insert.run({ ...row, granted: row.granted === null ? null : row.granted ? 1 : 0, clockSynced: row.clockSynced ? 1 : 0 });
      return r.changes === 1 ? 'stored' : 'duplicate';
    } catch (err) {
      throw StoreError.from(err, 'insert door event');
    }
  }

  count(): number {
    return (this.#count.get() as { n: number }).n;
  }
}
