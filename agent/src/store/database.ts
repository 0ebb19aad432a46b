// Opening the SQLite file: integrity check with recovery, pragmas, migrations.
//
// Durability, per table (DESIGN.md rule 2):
// | table                         | commit        | why                                            |
// |-------------------------------|---------------|------------------------------------------------|
// | door_events, rollups, log     | FULL          | acked to the controller once committed         |
// | impressions_outbox            | FULL          | proof of play; deleted only after cloud ack    |
// | resident_counters, feedback   | FULL          | written in the same transaction as impressions |
// | sync_state, boots, manifest   | FULL          | small and rare; a lost ack cursor costs a retry |
// | passages                      | NORMAL        | rebuildable segment history; may lose the last |
// |                               |               | commits on power loss, never corrupts (WAL)    |
// WAL + synchronous=FULL fsyncs the WAL on every commit; NORMAL defers to checkpoints.

import { existsSync, renameSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Logger } from '../obs/log.js';
import { StoreError } from './errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export type Db = Database.Database;

export interface OpenResult {
  db: Db;
  /** Where a corrupt file was moved, when one was. */
  recoveredFrom?: string;
  migratedFrom: number;
}

function checkIntegrity(db: Db): string | null {
  const rows = db.pragma('integrity_check(20)') as { integrity_check: string }[];
  const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
  return problems.length ? problems.join('; ') : null;
}

function openChecked(path: string): Db {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    const problem = checkIntegrity(db);
    if (problem) throw new StoreError('corrupt', `integrity_check: ${problem}`);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Moves the database and its WAL/SHM aside; returns the new base name. */
function moveAside(path: string, now: number): string {
  const aside = `${path}.corrupt-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
  }
  return aside;
}

export function migrate(db: Db, upTo = SCHEMA_VERSION): number {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) {
    throw new StoreError('invalid', `database schema ${from} is newer than this agent (${SCHEMA_VERSION}); refusing to downgrade`);
  }
  for (let v = from; v < upTo; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return from;
}

export function openDatabase(path: string, log: Logger, now = Date.now()): OpenResult {
  let db: Db;
  let recoveredFrom: string | undefined;
  try {
    db = openChecked(path);
  } catch (err) {
    const e = StoreError.from(err, 'open');
    if (e.code !== 'corrupt' && !/not a database|malformed|corrupt/i.test(e.message)) throw e;
    // Start clean rather than crash-loop; the file is kept for forensics.
    recoveredFrom = moveAside(path, now);
    log.error({ path, movedTo: recoveredFrom, reason: e.message }, 'store: database corrupt, moved aside; starting with an empty database');
    db = openChecked(path);
  }
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 2000');
  // Bounded WAL: checkpoint at ~4 MB, so a backlog cannot grow the WAL without limit.
  db.pragma('wal_autocheckpoint = 1000');
  db.pragma('journal_size_limit = 8388608');
  const migratedFrom = migrate(db);
  return { db, recoveredFrom, migratedFrom };
}

/** Runs fn in a transaction committed with synchronous=NORMAL (rebuildable data only). */
export function relaxed<T>(db: Db, fn: () => T): T {
  db.pragma('synchronous = NORMAL');
  try {
    return db.transaction(fn)();
  } finally {
    db.pragma('synchronous = FULL');
  }
}
