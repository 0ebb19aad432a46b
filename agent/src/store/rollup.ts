// Rolling the oldest door events up into hourly counts (DESIGN.md rule 3: roll up, never
// silently drop). One durable transaction: the counts, the seqs they covered (so a late
// retransmission is still recognised, PROTOCOL.md §4.1), the log line, and the delete.
import type { Db } from './database.js';

const HOUR = 3_600_000;

export interface RollupResult {
  rows: number;
  firstId: number;
  lastId: number;
}

/** Rolls the `n` oldest door events (insertion order) into hourly counts. */
export function rollUpOldest(db: Db, n: number, reason: string, now: number): RollupResult {
  return db.transaction((): RollupResult => {
    const edge = db
      .prepare('SELECT min(id) AS firstId, max(id) AS lastId, count(*) AS rows, min(wall_time_ms) AS oldest, max(wall_time_ms) AS newest FROM (SELECT id, wall_time_ms FROM door_events ORDER BY id LIMIT ?)')
      .get(n) as { firstId: number | null; lastId: number | null; rows: number; oldest: number | null; newest: number | null };
    if (edge.rows === 0 || edge.lastId === null || edge.firstId === null) return { rows: 0, firstId: 0, lastId: 0 };
    const cut = edge.lastId;
    // Hours are wall-clock hours as stamped; clock_synced says whether they can be trusted
    // (rows stamped before the clock synchronised and never corrected, DESIGN.md rule 6).
    db.prepare(`
      INSERT INTO door_event_rollups (hour_ms, door, kind, method, outcome, clock_synced, count)
      SELECT (wall_time_ms / ${HOUR}) * ${HOUR}, door, kind,
             coalesce(method, ''),
             CASE kind WHEN 'unlock' THEN (CASE granted WHEN 1 THEN 'granted' ELSE 'denied' END) ELSE coalesce(state, '') END,
             clock_synced, count(*)
      FROM door_events WHERE id <= ?
      GROUP BY 1, 2, 3, 4, 5, 6
      ON CONFLICT (hour_ms, door, kind, method, outcome, clock_synced) DO UPDATE SET count = count + excluded.count`).run(cut);
    rememberSeqs(db, cut);
    db.prepare('DELETE FROM door_events WHERE id <= ?').run(cut);
    db.prepare('INSERT INTO rollup_log (at_ms, rows, oldest_ms, newest_ms, reason, first_id, last_id) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      now,
      edge.rows,
      edge.oldest,
      edge.newest,
      reason,
      edge.firstId,
      edge.lastId,
    );
    return { rows: edge.rows, firstId: edge.firstId, lastId: edge.lastId };
  })();
}

/**
 * Adds the seqs of the rows up to id `cut` to rolled_seqs as inclusive ranges, merged with
 * the ranges already there. Exact ranges, not a floor: an event below the highest rolled-up
 * seq that never arrived (NAKed while the disk was full, still in the controller's ring) is
 * new when it comes, not a duplicate. Gaps are rare (ring overflow, §4.3), so a controller
 * has a handful of ranges.
 */
function rememberSeqs(db: Db, cut: number): void {
  const islands = db
    .prepare(`
      SELECT controller_id AS controllerId, min(seq) AS first, max(seq) AS last FROM (
        SELECT controller_id, seq, seq - row_number() OVER (PARTITION BY controller_id ORDER BY seq) AS grp
        FROM door_events WHERE id <= ? AND seq IS NOT NULL)
      GROUP BY controller_id, grp`)
    .all(cut) as { controllerId: string; first: number; last: number }[];
  const touching = db.prepare('SELECT first_seq AS first, last_seq AS last FROM rolled_seqs WHERE controller_id = ? AND last_seq >= ? - 1 AND first_seq <= ? + 1');
  const remove = db.prepare('DELETE FROM rolled_seqs WHERE controller_id = ? AND last_seq >= ? - 1 AND first_seq <= ? + 1');
  const insert = db.prepare('INSERT INTO rolled_seqs (controller_id, first_seq, last_seq) VALUES (?, ?, ?)');
  for (const i of islands) {
    let first = i.first;
    let last = i.last;
    for (const r of touching.all(i.controllerId, first, last) as { first: number; last: number }[]) {
      first = Math.min(first, r.first);
      last = Math.max(last, r.last);
    }
    remove.run(i.controllerId, i.first, i.last);
    insert.run(i.controllerId, first, last);
  }
}

/** True when (controllerId, seq) was stored once and has since been rolled up. */
export function seqRolledUp(db: Db): (controllerId: string, seq: number) => boolean {
  const q = db.prepare('SELECT last_seq AS last FROM rolled_seqs WHERE controller_id = ? AND first_seq <= ? ORDER BY first_seq DESC LIMIT 1').pluck();
  return (controllerId, seq) => {
    const last = q.get(controllerId, seq) as number | undefined;
    return last !== undefined && last >= seq;
  };
}
