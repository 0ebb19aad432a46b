// The agent's local store: one SQLite file, the spine everything else writes to. See
// database.ts for the durability of each table, clock-correction.ts for the time model and
// budget.ts for the bound. Every method is synchronous and throws only StoreError.
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Clock } from '../clock/clock.js';
import type { DoorEventRow } from '../ingest/pipeline.js';
import { type Logger, silentLogger } from '../obs/log.js';
import { Registry } from '../obs/metrics.js';
import { type Budget, type BudgetReport, enforceBudget, usedBytes } from './budget.js';
import { Counters } from './counters.js';
import { type Db, openDatabase, withSynchronous } from './database.js';
import { DoorCounts } from './door-counts.js';
import { DoorEvents, type Insertion } from './door-events.js';
import { guard, StoreError } from './errors.js';
import { SCHEMA_VERSION } from './migrations.js';
import { Outbox } from './outbox.js';
import { type CounterDelta, check, type Play, PseudonymSchema, type Stamp } from './records.js';
import type { IntegrityCheck } from './recovery.js';
import { State } from './state.js';
import { storeMetrics } from './store-metrics.js';

export interface StoreOptions {
  path: string;
  budget: Budget;
  log?: Logger;
  registry?: Registry;
  /** Check the budget after every this many stored door events (default 500). */
  budgetEvery?: number;
  /** Check run at open (default 'integrity', see recovery.ts). */
  check?: IntegrityCheck;
  /** Corrupt databases kept aside for forensics (default 2). */
  keepCorrupt?: number;
  /** Now, as a stamp (for the outbox age); default: this boot's clock. */
  stamp?: () => Stamp;
}

export class Store {
  readonly db: Db;
  readonly path: string;
  readonly doorEvents: DoorEvents;
  readonly outbox: Outbox;
  readonly counters: Counters;
  readonly doorCounts: DoorCounts;
  readonly state: State;
  /** Where a corrupt database was moved at open, if one was. */
  readonly recoveredFrom: string | undefined;
  /** Schema version found on disk (0: new file). */
  readonly migratedFrom: number;
  readonly #o: StoreOptions;
  readonly #log: Logger;
  readonly #m;
  readonly #stamp: () => Stamp;
  #sinceBudget = 0;
  #closed = false;

  constructor(o: StoreOptions) {
    this.#o = o;
    this.path = o.path;
    this.#log = (o.log ?? silentLogger).child({ part: 'store' });
    const dir = dirname(o.path);
    const opened = openDatabase(o.path, this.#log, { check: o.check ?? 'integrity', keepCorrupt: o.keepCorrupt ?? 2, now: Date.now() });
    this.db = opened.db;
    this.recoveredFrom = opened.recoveredFrom;
    this.migratedFrom = opened.migratedFrom;
    this.doorEvents = new DoorEvents(this.db, dir);
    this.outbox = new Outbox(this.db, dir);
    this.counters = new Counters(this.db, dir);
    this.doorCounts = new DoorCounts(this.db, dir);
    this.state = new State(this.db, dir);
    this.#stamp = o.stamp ?? defaultStamp();
    this.#m = storeMetrics(o.registry ?? new Registry(), {
      bytes: () => usedBytes(this.db),
      doorEvents: () => this.doorEvents.count(),
      outboxDepth: () => this.outbox.depth(),
      oldestAgeSeconds: () => this.outbox.oldestAgeMs(this.#stamp()) / 1000,
    });
    if (opened.recoveredFrom) this.#m.recoveries.inc();
    if (opened.migratedFrom < SCHEMA_VERSION) this.#log.info({ path: o.path, from: opened.migratedFrom, to: SCHEMA_VERSION }, 'store: schema migrated');
  }

  /**
   * Stores one door event. Durable when it returns (DESIGN.md rule 2): the source may ack it.
   * 'duplicate' when (controllerId, seq) was stored before. Throws StoreError ('full', 'io',
   * 'closed', 'invalid'): the source must not ack, the controller retries.
   */
  insertDoorEvent(row: DoorEventRow): Insertion {
    this.#open();
    const r = this.doorEvents.insert(row);
    if (r === 'stored' && ++this.#sinceBudget >= (this.#o.budgetEvery ?? 500)) {
      this.#sinceBudget = 0;
      // The event is stored whatever happens here; a failing roll-up must not turn it into 'failed'.
      try {
        this.enforceBudget();
      } catch (err) {
        this.#log.error({ err: (err as Error).message }, 'store: budget enforcement failed; will retry');
      }
    }
    return r;
  }

  /**
   * One play: the impression and its counter updates commit together, durably, or not at all.
   * Returns the impression's device_seq.
   */
  recordPlay(play: Play, stamp: Stamp, counters: readonly CounterDelta[] = []): number {
    this.#open();
    return this.transaction(() => {
      const seq = this.outbox.append(play, stamp);
      this.counters.increment(counters);
      this.doorCounts.notePlay(play.door, stamp.wallMs);
      return seq;
    });
  }

  /**
   * Runs fn in one durable (FULL) transaction; nested calls join the outer one. Anything fn
   * throws rolls it all back; SQLite failures come out as StoreError, fn's own errors as they are.
   */
  transaction<T>(fn: () => T): T {
    this.#open();
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      throw err instanceof Database.SqliteError ? StoreError.from(err, 'transaction', dirname(this.path)) : err;
    }
  }

  /** Rebuildable passage history (segments): committed with synchronous=NORMAL, see database.ts. */
  recordPassage(pseudonym: string, atMs: number, door: string): void {
    this.#open();
    check(PseudonymSchema, pseudonym, 'passage pseudonym');
    guard('record passage', () =>
      withSynchronous(this.db, 'NORMAL', () => {
        this.db.prepare('INSERT INTO passages (pseudonym, at_ms, door) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(pseudonym, atMs, door);
      }),
    );
  }

  /** A resident's passages since `sinceMs`, oldest first, at most `limit` (segments.ts). */
  passagesOf(pseudonym: string, sinceMs: number, limit = 2000): { atMs: number; door: string }[] {
    this.#open();
    check(PseudonymSchema, pseudonym, 'passage pseudonym');
    return guard('read passages', () =>
      this.db.prepare('SELECT at_ms AS atMs, door FROM passages WHERE pseudonym = ? AND at_ms >= ? ORDER BY at_ms LIMIT ?').all(pseudonym, sinceMs, Math.min(Math.max(1, limit), 10_000)),
    ) as { atMs: number; door: string }[];
  }

  /** Bounded history: drops passages before `beforeMs`. Returns how many went. */
  prunePassages(beforeMs: number): number {
    this.#open();
    return guard('prune passages', () => withSynchronous(this.db, 'NORMAL', () => this.db.prepare('DELETE FROM passages WHERE at_ms < ?').run(beforeMs).changes));
  }

  /** See clock-correction.ts. Returns how many rows were corrected. */
  correctClock(bootId: string, offsetMs: number, nowMs = Date.now()): number {
    this.#open();
    return this.state.boots.correct(bootId, offsetMs, nowMs);
  }

  /** Rolls the oldest door events up until within budget; reports when the outbox alone is over it. */
  enforceBudget(now = Date.now()): BudgetReport {
    this.#open();
    const r = guard('enforce budget', () => enforceBudget(this.db, this.#o.budget, now), dirname(this.path));
    if (r.rolledUp > 0) {
      this.#m.rolledUp.inc(r.rolledUp);
      this.#log.warn({ rolledUp: r.rolledUp, doorEvents: r.doorEvents, bytes: r.bytes }, 'store budget reached: oldest door events rolled up into hourly counts');
    }
    if (r.exceeded) {
      this.#log.error({ bytes: r.bytes, outboxDepth: r.outboxDepth, budget: this.#o.budget }, 'store over budget with nothing left to roll up; unacked impressions are kept');
    }
    this.#m.overBudget.set(r.exceeded ? 1 : 0);
    return r;
  }

  /** Checkpoints the WAL into the main file and closes. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#m.detach();
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'store: checkpoint on close failed');
    }
    this.db.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #open(): void {
    if (this.#closed) throw new StoreError('closed', 'store closed');
  }
}

function defaultStamp(): () => Stamp {
  let clock: Clock | undefined;
  return () => {
    clock ??= new Clock({ sync: 'never' });
    return clock.stamp();
  };
}
