// Door events: idempotent on (controller_id, seq) (PROTOCOL.md §4.1, §4.4), durable when
// insert returns (one autocommit statement under synchronous=FULL, see database.ts).
import type { DoorEventRow } from '../ingest/pipeline.js';
import type { Db } from './database.js';
import { guard } from './errors.js';
import { check, DoorEventRowSchema } from './records.js';
import { seqRolledUp } from './rollup.js';

export type Insertion = 'stored' | 'duplicate';

export class DoorEvents {
  readonly #insert;
  readonly #count;
  readonly #rolledUp;

  constructor(
    readonly db: Db,
    readonly dir: string,
  ) {
    this.#insert = db.prepare(`
      INSERT INTO door_events (controller_id, seq, source, door, kind, method, granted, reason, state,
        pseudonym, key_id, controller_time_ms, wall_time_ms, boot_id, mono_ms, clock_synced)
      VALUES (@controllerId, @seq, @source, @door, @kind, @method, @granted, @reason, @state,
        @pseudonym, @keyId, @controllerTimeMs, @wallTimeMs, @bootId, @monoMs, @clockSynced)
      ON CONFLICT DO NOTHING`);
    this.#count = db.prepare('SELECT count(*) FROM door_events').pluck();
    this.#rolledUp = seqRolledUp(db);
  }

  /**
   * 'stored' when new, 'duplicate' when (controllerId, seq) was stored before, even if it has
   * since been rolled up. Throws StoreError: 'invalid' (nothing written), 'full', 'io', 'closed'.
   */
  insert(input: DoorEventRow): Insertion {
    const row = check(DoorEventRowSchema, input, 'door event');
    return guard(
      'insert door event',
      () => {
        if (row.seq !== null && this.#rolledUp(row.controllerId, row.seq)) return 'duplicate';
        const r = this.#insert.run({ ...row, granted: row.granted === null ? null : row.granted ? 1 : 0, clockSynced: row.clockSynced ? 1 : 0 });
        return r.changes === 1 ? 'stored' : 'duplicate';
      },
      this.dir,
    );
  }

  count(): number {
    return guard('count door events', () => this.#count.get() as number);
  }
}
