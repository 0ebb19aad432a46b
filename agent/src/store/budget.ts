// The store's bound (DESIGN.md rule 3). At the budget, the oldest door events are rolled up
// into hourly counts instead of being dropped, and each roll-up is logged in rollup_log. The
// impressions outbox is never touched: it shrinks only by cloud acks. When the outbox (plus
// what cannot be rolled up) alone is over the budget, the report says so and nothing is lost.
import type { Db } from './database.js';
import { rollUpOldest } from './rollup.js';

export interface Budget {
  /** Door events kept row by row; older ones become hourly counts. */
  maxDoorEvents: number;
  /**
   * Bytes of the main database file in use ((page_count − freelist_count) × page_size). The
   * WAL comes on top and is bounded apart (wal_autocheckpoint, journal_size_limit: ~8 MiB).
   */
  maxBytes: number;
}

export interface BudgetReport {
  rolledUp: number;
  doorEvents: number;
  outboxDepth: number;
  bytes: number;
  /** True when still over budget with no door event left to roll up: the outbox alone is too big. */
  exceeded: boolean;
}

export function usedBytes(db: Db): number {
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  return (pages - free) * (db.pragma('page_size', { simple: true }) as number);
}

const count = (db: Db, table: 'door_events' | 'impressions_outbox') => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

/** Rolls up until within budget, or until no door event is left. */
export function enforceBudget(db: Db, budget: Budget, now: number): BudgetReport {
  let rolledUp = 0;
  // Each round rolls up at least a quarter of what is left, so 64 rounds always empty the table.
  for (let round = 0; round < 64; round++) {
    const rows = count(db, 'door_events');
    const overRows = rows > budget.maxDoorEvents;
    if (rows === 0 || (!overRows && usedBytes(db) <= budget.maxBytes)) break;
    // Down to 90% of the row budget, so the next insert does not trigger another roll-up at
    // once; for bytes, a quarter of the rows per round until the pages are free.
    const n = overRows ? rows - Math.floor(budget.maxDoorEvents * 0.9) : Math.max(1, Math.ceil(rows / 4));
    rolledUp += rollUpOldest(db, n, overRows ? 'row budget' : 'byte budget', now).rows;
  }
  const doorEvents = count(db, 'door_events');
  const bytes = usedBytes(db);
  return { rolledUp, doorEvents, outboxDepth: count(db, 'impressions_outbox'), bytes, exceeded: doorEvents > budget.maxDoorEvents || bytes > budget.maxBytes };
}
