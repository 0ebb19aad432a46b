// Opening the SQLite file: integrity check with recovery, pragmas, migrations; and the
// durability of each commit.
//
// Durability, per table (DESIGN.md rule 2). WAL mode; synchronous=FULL fsyncs the WAL at every
// commit, so a commit that has returned survives power loss; NORMAL fsyncs only at checkpoints,
// so the last commits before a power cut may be lost, but the database is never corrupted.
// synchronous is per connection: the store runs FULL and drops to NORMAL for the length of one
// transaction (withSynchronous; two pragma calls, microseconds). Measured with bench.ts on the
// dev machine (2 shared cores, ext4 on virtio): FULL 2.4–3.1k door-event commits/s, NORMAL
// 16–20k/s. A door produces a few events a minute, so FULL costs nothing that matters.
// | table                             | commit | why                                              |
// |-----------------------------------|--------|--------------------------------------------------|
// | door_events                       | FULL   | acked to the controller once committed           |
// | door_event_rollups, rollup_log,   | FULL   | same transaction as deleting the door events     |
// |   rolled_seqs                     |        |   they replace (counts and dedupe must survive)  |
// | impressions_outbox                | FULL   | proof of play; leaves only by cloud ack          |
// | resident_counters, with a play    | FULL   | in the impression's transaction (recordPlay)     |
// | resident_counters, alone          | NORMAL | frequency caps; losing the last second of        |
// |                                   |        |   increments costs at most one extra play        |
// | resident_feedback                 | FULL   | a resident's explicit wish; rare                 |
// | passages                          | NORMAL | rebuildable segment history                      |
// | manifest_cache                    | NORMAL | a cache: the previous manifest survives, and the |
// |                                   |        |   broker re-sends the retained one               |
// | sync_state, boots                 | FULL   | cursors and clock facts; small and rare, and a   |
// |                                   |        |   lost sequence cursor could reuse a number      |

import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../obs/log.js';
import { StoreError } from './errors.js';
import { MIGRATIONS } from './migrations.js';
import { checkIntegrity, type IntegrityCheck, moveAside, pruneAside } from './recovery.js';

export type Db = Database.Database;

export interface OpenOptions {
  check: IntegrityCheck;
  /** Moved-aside corrupt sets kept for forensics. */
  keepCorrupt: number;
  now: number;
}

export interface OpenResult {
  db: Db;
  /** Where a corrupt file was moved, when one was. */
  recoveredFrom?: string;
  /** Schema version found on disk (0 for a new file). */
  migratedFrom: number;
}

/**
 * Throws StoreError('corrupt') when the file at `path` is not a sound database. Read-only, so
 * that a damaged file is left exactly as found, WAL included (a read-write connection would
 * checkpoint and delete the WAL on close).
 */
function inspect(path: string, check: IntegrityCheck): void {
  if (!existsSync(path) || statSync(path).size === 0) return;
  let db: Db | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const problem = checkIntegrity(db, check);
    if (problem) throw new StoreError('corrupt', `${check}_check: ${problem}`);
  } catch (err) {
    throw StoreError.from(err, 'open');
  } finally {
    db?.close();
  }
}

function openWal(path: string): Db {
  let db: Db | undefined;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    return db;
  } catch (err) {
    db?.close();
    throw StoreError.from(err, 'open', dirname(path));
  }
}

/**
 * Runs the migrations from the file's PRAGMA user_version up to `upTo`, each in its own
 * transaction with the version bump, forward only. Returns the version found.
 */
export function migrate(db: Db, migrations: readonly string[] = MIGRATIONS, upTo = migrations.length): number {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > migrations.length) {
    throw new StoreError('schema', `database schema ${from} is newer than this agent (${migrations.length}); refusing to downgrade`, { from });
  }
  for (let v = from; v < upTo; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return from;
}

export function openDatabase(path: string, log: Logger, o: OpenOptions): OpenResult {
  let recoveredFrom: string | undefined;
  try {
    inspect(path, o.check);
  } catch (err) {
    if (!(err instanceof StoreError) || err.code !== 'corrupt') throw err;
    // Start clean rather than crash-loop; the damaged file is kept for forensics.
    recoveredFrom = moveAside(path, o.now);
    log.error({ path, movedTo: recoveredFrom, reason: err.message }, 'store: database corrupt, moved aside; starting with an empty database');
    for (const f of pruneAside(path, o.keepCorrupt)) log.warn({ removed: f }, 'store: removed an old corrupt database copy');
  }
  const db = openWal(path);
  try {
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // One connection per file; the wait only matters for an operator's sqlite3 shell.
    db.pragma('busy_timeout = 2000');
    // Bounded WAL (rule 3): checkpoint every ~1000 pages and truncate the file back to 8 MiB.
    db.pragma('wal_autocheckpoint = 1000');
    db.pragma('journal_size_limit = 8388608');
    const migratedFrom = migrate(db);
    return { db, recoveredFrom, migratedFrom };
  } catch (err) {
    db.close();
    throw StoreError.from(err, 'open', dirname(path));
  }
}

/**
 * Runs fn in a transaction committed with the given synchronous level, then restores FULL.
 * Inside an enclosing transaction the level cannot change (SQLite refuses), and the enclosing
 * commit decides: fn simply joins it.
 */
export function withSynchronous<T>(db: Db, level: 'NORMAL' | 'FULL', fn: () => T): T {
  if (db.inTransaction || level === 'FULL') return db.transaction(fn)();
  db.pragma(`synchronous = ${level}`);
  try {
    return db.transaction(fn)();
  } finally {
    db.pragma('synchronous = FULL');
  }
}
