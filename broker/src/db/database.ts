// The state db a node uses, chosen with the impression store by the config's `store` key:
// SQLite at <stateDir>/broker.sqlite (embedded; several processes on one host may share it
// through WAL), or the PostgreSQL every node of a cluster shares, on any host (deploy/cloud).
import { join } from 'node:path';
import type { BrokerConfig } from '../config/schema.js';
import type { Logger } from '../obs/log.js';
import { PostgresStateDb } from './postgres-state-db.js';
import { SqliteStateDb } from './sqlite-state-db.js';
import type { StateDb } from './state-db.js';

export type { StateDb, StateQueries } from './state-db.js';

/** The embedded state db in `stateDir` (created and migrated). */
export function openSqliteStateDb(stateDir: string, file = 'broker.sqlite'): SqliteStateDb {
  return new SqliteStateDb(join(stateDir, file));
}

/** Rejects with StateDbError when PostgreSQL cannot be reached or migrated. */
export async function openStateDb(config: Pick<BrokerConfig, 'store' | 'stateDir'>, log: Logger): Promise<StateDb> {
  const s = config.store;
  switch (s.kind) {
    case 'sqlite':
      return openSqliteStateDb(config.stateDir);
    case 'postgres':
      return PostgresStateDb.open({
        url: s.url,
        poolMax: s.poolMax,
        statementTimeoutMs: s.statementTimeoutMs,
        onIdleError: (err) => log.warn({ component: 'state', err: err.message }, 'postgres idle connection error'),
      });
  }
}
