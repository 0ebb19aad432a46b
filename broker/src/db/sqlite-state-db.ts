// StateDb on one better-sqlite3 connection (WAL, synchronous FULL). Statements run synchronously;
// a transaction spans awaits, so while one is open every other caller waits for it, or its
// statements would run inside someone else's transaction on the shared connection.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';
import { type StateDb, StateDbError, type StateQueries } from './state-db.js';

export class SqliteStateDb implements StateDb {
  readonly kind = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  /** Settles when the open transaction ends; null when none is open. */
  #open: Promise<void> | null = null;
  readonly #direct: StateQueries;

  constructor(readonly path: string) {
    mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
    const fresh = !existsSync(path);
    this.#db = new Database(path);
    // Credential hashes and site keys live here: keep the file private.
    if (fresh) chmodSync(path, 0o600);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.pragma('foreign_keys = ON');
    this.#migrate();
    const s = (sql: string) => this.#statement(sql);
    this.#direct = {
      all: async <T>(sql: string, params: readonly unknown[] = []) => s(sql).all(...params) as T[],
      get: async <T>(sql: string, params: readonly unknown[] = []) => s(sql).get(...params) as T | undefined,
      run: async (sql: string, params: readonly unknown[] = []) => ({ changes: s(sql).run(...params).changes }),
    };
  }

  /** The raw connection, for the impression-free tools that need one (tests, benches). */
  get raw(): Database.Database {
    return this.#db;
  }

  async all<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    while (this.#open) await this.#open;
    this.#check();
    return this.#direct.all<T>(sql, params);
  }

  async get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined> {
    while (this.#open) await this.#open;
    this.#check();
    return this.#direct.get<T>(sql, params);
  }

  async run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }> {
    while (this.#open) await this.#open;
    this.#check();
    return this.#direct.run(sql, params);
  }

  async tx<T>(f: (q: StateQueries) => Promise<T>): Promise<T> {
    while (this.#open) await this.#open;
    this.#check();
    let end!: () => void;
    this.#open = new Promise<void>((resolve) => (end = resolve));
    try {
      this.#db.prepare('BEGIN IMMEDIATE').run();
      try {
        const result = await f(this.#direct);
        this.#db.prepare('COMMIT').run();
        return result;
      } catch (err) {
        if (this.#db.inTransaction) this.#db.prepare('ROLLBACK').run();
        throw err;
      }
    } finally {
      this.#open = null;
      end();
    }
  }

  async close(): Promise<void> {
    while (this.#open) await this.#open;
    if (this.#db.open) this.#db.close();
  }

  // Callers wait inline (`while (this.#open) await this.#open`), never through a helper: an
  // extra await between the loop and the statement lets another woken caller open a transaction.
  #check(): void {
    if (!this.#db.open) throw new StateDbError('closed', `state db ${this.path} is closed`);
  }

  #statement(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  #migrate(): void {
    const current = this.#db.pragma('user_version', { simple: true }) as number;
    for (let v = current; v < MIGRATIONS.length; v++) {
      this.#db
        .transaction(() => {
          this.#db.exec(MIGRATIONS[v]!);
          this.#db.pragma(`user_version = ${v + 1}`);
        })
        .immediate();
    }
  }
}
