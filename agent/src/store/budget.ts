// The store's bound (DESIGN.md rule 3). At the budget, the oldest door events are rolled up
// into hourly counts per door instead of being dropped, and the roll-up is logged. The
// impressions outbox is never touched: it shrinks only by cloud acks.
import type { Db } from './database.js';

export interface Budget {
  maxDoorEvents: number;
  maxBytes: number;
}

export interface BudgetReport {
  rolledUp: number;
  doorEvents: number;
  bytes: number;
  /** True when over budget and nothing more can be rolled up (the outbox alone is too big). */
  exceeded: boolean;
}

const HOUR = 3_600_000;

export function usedBytes(db: Db): number {
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  return (pages - free) * (db.pragma('page_size', { simple: true }) as number);
}

export function enforceBudget(db: Db, budget: Budget, now: number): BudgetReport {
  const count = () => (db.prepare('SELECT count(*) AS n FROM door_events').get() as { n: number }).n;
  let rolledUp = 0;
  for (let round = 0; round < 8; round++) {
    const rows = count();
    const bytes = usedBytes(db);
    const overRows = rows > budget.maxDoorEvents;
    const overBytes = bytes > budget.maxBytes;
    if ((!overRows && !overBytes) || rows === 0) break;
    // Roll up down to 90% of the row budget (or a tenth of the rows when bytes are the problem),
    // so the next insert does not trigger another roll-up at once.
    const target = overRows ? rows - Math.floor(budget.maxDoorEvents * 0.9) : Math.max(1, Math.ceil(rows / 10));
    rolledUp += rollUpOldest(db, target, overRows ? 'row budget' : 'byte budget', now);
  }
  const bytes = usedBytes(db);
  const doorEvents = count();
  return { rolledUp, doorEvents, bytes, exceeded: doorEvents > budget.maxDoorEvents || bytes > budget.maxBytes };
}

/** Rolls the `n` oldest door events into hourly counts, in one durable transaction. */
export function rollUpOldest(db: Db, n: number, reason: string, now: number): number {
  return db.transaction(() => {
    const edge = db.prepare('SELECT min(wall_time_ms) AS oldest, max(wall_time_ms) AS newest, count(*) AS n FROM (SELECT wall_time_ms FROM door_events ORDER BY wall_time_ms, id LIMIT ?)').get(n) as { oldest: number | null; newest: number | null; n: number };
    if (!edge.n) return 0;
    db.prepare(`
      INSERT INTO door_event_rollups (hour_ms, door, kind, detail, count)
      SELECT (wall_time_ms / ${HOUR}) * ${HOUR}, door, kind,
             CASE kind WHEN 'unlock' THEN coalesce(method, '') || ':' || (CASE granted WHEN 1 THEN 'granted' ELSE 'denied' END)
                       ELSE coalesce(state, '') END,
             count(*)
      FROM (SELECT * FROM door_events ORDER BY wall_time_ms, id LIMIT ?)
      GROUP BY 1, 2, 3, 4
      ON CONFLICT (hour_ms, door, kind, detail) DO UPDATE SET count = count + excluded.count`).run(n);
    db.prepare(`
      INSERT INTO seq_floor (controller_id, max_seq)
      SELECT controller_id, max(seq) FROM (SELECT * FROM door_events ORDER BY wall_time_ms, id LIMIT ?) WHERE seq IS NOT NULL GROUP BY controller_id
      ON CONFLICT (controller_id) DO UPDATE SET max_seq = max(max_seq, excluded.max_seq)`).run(n);
    db.prepare('DELETE FROM door_events WHERE id IN (SELECT id FROM door_events ORDER BY wall_time_ms, id LIMIT ?)').run(n);
    db.prepare('INSERT INTO rollup_log (at_ms, rows, oldest_ms, newest_ms, reason) VALUES (?, ?, ?, ?, ?)').run(now, edge.n, edge.oldest, edge.newest, reason);
    return edge.n;
  })();
}
