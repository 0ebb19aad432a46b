// The broker state db on both engines, for tests that must hold on each: SQLite in a temp dir,
// and PostgreSQL on a private server (one per test file, started on first use), a fresh
// database per open(). Everything opened is closed and removed after the file's tests.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openSqliteStateDb } from '../../broker/src/db/database.js';
import { PostgresStateDb } from '../../broker/src/db/postgres-state-db.js';
import type { StateDb } from '../../broker/src/db/state-db.js';
import { type PostgresService, startPostgres } from './postgres.js';

export interface StateBackend {
  name: 'sqlite' | 'postgres';
  /** A new, empty, migrated state db. */
  open(): Promise<StateDb>;
  /** Another connection to the db `open()` returned last (a second node). */
  openAgain(): Promise<StateDb>;
}

export function stateBackends(): StateBackend[] {
  let server: Promise<PostgresService> | undefined;
  const opened: StateDb[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const db of opened.splice(0)) await db.close().catch(() => {});
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    await (await server)?.destroy();
  }, 30_000);
  const keep = (db: StateDb) => {
    opened.push(db);
    return db;
  };
  let lastDir = '';
  let lastUrl = '';
  return [
    {
      name: 'sqlite',
      async open() {
        lastDir = mkdtempSync(join(tmpdir(), 'doorcast-state-'));
        dirs.push(lastDir);
        return keep(openSqliteStateDb(lastDir));
      },
      async openAgain() {
        return keep(openSqliteStateDb(lastDir));
      },
    },
    {
      name: 'postgres',
      async open() {
        server ??= startPostgres();
        lastUrl = await (await server).createDatabase(`s_${randomUUID().replaceAll('-', '').slice(0, 16)}`);
        return keep(await PostgresStateDb.open({ url: lastUrl, poolMax: 4 }));
      },
      async openAgain() {
        return keep(await PostgresStateDb.open({ url: lastUrl, poolMax: 4 }));
      },
    },
  ];
}
