// StateDb on a pg pool: the state every node of a cluster shares. `?` placeholders become $n;
// bigint and numeric come back as numbers (epoch milliseconds and sums of cents fit easily).
import pg from 'pg';
import { openMigratedPool, type PoolOptions } from '../store/postgres-migrations.js';
import { STATE_MIGRATIONS } from './postgres-state-migrations.js';
import { type StateDb, StateDbError, type StateQueries } from './state-db.js';

export type PostgresStateOptions = PoolOptions;

const INT8 = 20;
const NUMERIC = 1700;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 || oid === NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Deadlock and serialisation failure: the transaction did nothing and may simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 5;

const placeholders = new Map<string, string>();
/** `?` → `$1, $2, …` (state SQL never has a ? inside a literal). */
function toPg(sql: string): string {
  let out = placeholders.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    if (placeholders.size < 10_000) placeholders.set(sql, out);
  }
  return out;
}

function queries(c: pg.Pool | pg.PoolClient): StateQueries {
  return {
    all: async <T>(sql: string, params: readonly unknown[] = []) => (await c.query(toPg(sql), params as unknown[])).rows as T[],
    get: async <T>(sql: string, params: readonly unknown[] = []) => (await c.query(toPg(sql), params as unknown[])).rows[0] as T | undefined,
    run: async (sql: string, params: readonly unknown[] = []) => ({ changes: (await c.query(toPg(sql), params as unknown[])).rowCount ?? 0 }),
  };
}

export class PostgresStateDb implements StateDb {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #q: StateQueries;
  #closed = false;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
    this.#q = queries(pool);
  }

  /** Connects and migrates; rejects with StateDbError. */
  static async open(o: PostgresStateOptions): Promise<PostgresStateDb> {
    let pool: pg.Pool;
    try {
      pool = await openMigratedPool(o, STATE_MIGRATIONS, 'doorcast-broker-state', types);
    } catch (err) {
      throw new StateDbError('migration', `postgres state: open and migrate: ${(err as Error).message}`, { cause: err });
    }
    return new PostgresStateDb(pool);
  }

  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    this.#open();
    return this.#q.all<T>(sql, params);
  }

  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined> {
    this.#open();
    return this.#q.get<T>(sql, params);
  }

  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }> {
    this.#open();
    return this.#q.run(sql, params);
  }

  async tx<T>(f: (q: StateQueries) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      this.#open();
      const client = await this.#pool.connect();
      try {
        await client.query('BEGIN');
        const out = await f(queries(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        const code = (err as { code?: string }).code;
        if (!code || !RETRYABLE.has(code) || attempt >= MAX_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
      } finally {
        client.release();
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  #open(): void {
    if (this.#closed) throw new StateDbError('closed', 'postgres state db is closed');
  }
}
