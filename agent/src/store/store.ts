// The agent's local store: one SQLite database (see database.ts for the durability table).
import type { Stamp } from '../clock/clock.js';
import type { DoorEventRow } from '../ingest/pipeline.js';
import { type Logger, silentLogger } from '../obs/log.js';
import { Counter, Gauge, metric, Registry } from '../obs/metrics.js';
import { type Budget, type BudgetReport, enforceBudget, usedBytes } from './budget.js';
import { type CounterDelta, Counters } from './counters.js';
import { type Db, openDatabase, relaxed } from './database.js';
import { DoorEvents } from './door-events.js';
import { StoreError } from './errors.js';
import { Outbox } from './outbox.js';
import { State } from './state.js';

export interface StoreOptions {
  path: string;
  budget: Budget;
  log?: Logger;
  registry?: Registry;
  /** Check the budget every this many door-event inserts. */
  budgetEvery?: number;
}

export class Store {
  readonly db: Db;
  readonly doorEvents: DoorEvents;
  readonly outbox: Outbox;
  readonly counters: Counters;
  readonly state: State;
  readonly recoveredFrom: string | undefined;
  readonly migratedFrom: number;
  readonly #o: StoreOptions;
  readonly #log: Logger;
  readonly #m;
  #sinceBudget = 0;
  #closed = false;

  constructor(o: StoreOptions) {
    this.#o = o;
    this.#log = (o.log ?? silentLogger).child({ part: 'store' });
    const registry = o.registry ?? new Registry();
    this.#m = {
      bytes: metric(registry, 'doorcast_store_bytes', (r) => new Gauge({ name: 'doorcast_store_bytes', help: 'Bytes used by the local database', registers: r })),
      doorEvents: metric(registry, 'doorcast_store_door_events', (r) => new Gauge({ name: 'doorcast_store_door_events', help: 'Door events held locally', registers: r })),
      outboxDepth: metric(registry, 'doorcast_outbox_depth', (r) => new Gauge({ name: 'doorcast_outbox_depth', help: 'Impressions not yet acked by the cloud', registers: r })),
      oldestUnsynced: metric(registry, 'doorcast_outbox_oldest_age_seconds', (r) => new Gauge({ name: 'doorcast_outbox_oldest_age_seconds', help: 'Age of the oldest impression not yet acked', registers: r })),
      rolledUp: metric(registry, 'doorcast_store_rolled_up_total', (r) => new Counter({ name: 'doorcast_store_rolled_up_total', help: 'Door events rolled up into hourly counts at the budget', registers: r })),
      recoveries: metric(registry, 'doorcast_store_corrupt_recoveries_total', (r) => new Counter({ name: 'doorcast_store_corrupt_recoveries_total', help: 'Corrupt databases moved aside at start', registers: r })),
      overBudget: metric(registry, 'doorcast_store_over_budget', (r) => new Gauge({ name: 'doorcast_store_over_budget', help: '1 when over budget with nothing left to roll up', registers: r })),
    };
    const opened = openDatabase(o.path, this.#log);
    this.db = opened.db;
    this.recoveredFrom = opened.recoveredFrom;
    this.migratedFrom = opened.migratedFrom;
    if (opened.recoveredFrom) this.#m.recoveries.inc();
    this.doorEvents = new DoorEvents(this.db);
    this.outbox = new Outbox(this.db);
    this.counters = new Counters(this.db);
    this.state = new State(this.db);
    this.refreshGauges();
  }

  /** Durable when it returns (synchronous=FULL commit); throws StoreError('full' | ...). */
  insertDoorEvent(row: DoorEventRow): 'stored' | 'duplicate' {
    if (this.#closed) throw new StoreError('closed', 'store closed');
    const r = this.doorEvents.insert(row);
    if (r === 'stored' && ++this.#sinceBudget >= (this.#o.budgetEvery ?? 500)) {
      this.#sinceBudget = 0;
      this.enforceBudget();
    }
    return r;
  }

  /** One play: the impression and its counter updates commit together or not at all. */
  recordPlay(impressionId: string, body: unknown, stamp: Stamp, counters: CounterDelta[]): number {
    if (this.#closed) throw new StoreError('closed', 'store closed');
    try {
      return this.db.transaction(() => {
        const seq = this.outbox.append(impressionId, body, stamp);
        for (const c of counters) this.counters.bump(c);
        return seq;
      })();
    } catch (err) {
      throw StoreError.from(err, 'record play');
    }
  }

  /** Rebuildable history (segments): committed without fsync, see database.ts. */
  recordPassage(pseudonym: string, atMs: number, door: string): void {
    relaxed(this.db, () => {
      this.db.prepare('INSERT INTO passages (pseudonym, at_ms, door) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(pseudonym, atMs, door);
    });
  }

  enforceBudget(now = Date.now()): BudgetReport {
    try {
      const r = enforceBudget(this.db, this.#o.budget, now);
      if (r.rolledUp > 0) {
        this.#m.rolledUp.inc(r.rolledUp);
        this.#log.warn({ rolledUp: r.rolledUp, doorEvents: r.doorEvents, bytes: r.bytes }, 'store budget reached: oldest door events rolled up into hourly counts');
      }
      if (r.exceeded) this.#log.error({ bytes: r.bytes, outbox: this.outbox.depth() }, 'store over budget and nothing left to roll up (unsynced impressions are kept)');
      this.#m.overBudget.set(r.exceeded ? 1 : 0);
      this.refreshGauges();
      return r;
    } catch (err) {
      throw StoreError.from(err, 'enforce budget');
    }
  }

  refreshGauges(): void {
    this.#m.bytes.set(usedBytes(this.db));
    this.#m.doorEvents.set(this.doorEvents.count());
    this.#m.outboxDepth.set(this.outbox.depth());
    this.#m.oldestUnsynced.set(this.outbox.oldestAgeMs() / 1000);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'store: checkpoint on close failed');
    }
    this.db.close();
  }
}
