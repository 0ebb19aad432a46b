// The impression store a node uses, chosen by the config's `store` key: SQLite in stateDir (the
// embedded default) or the PostgreSQL every node of a cluster shares (deploy/cloud).
import { join } from 'node:path';
import type { BrokerConfig } from '../config/schema.js';
import type { Logger } from '../obs/log.js';
import type { ImpressionStore } from './impression-store.js';
import { PostgresImpressionStore } from './postgres-impression-store.js';
import { SqliteImpressionStore } from './sqlite-impression-store.js';

/** Rejects with StoreError when PostgreSQL cannot be reached or migrated. */
export async function openImpressionStore(config: Pick<BrokerConfig, 'store' | 'stateDir'>, log: Logger): Promise<ImpressionStore> {
  const s = config.store;
  switch (s.kind) {
    case 'sqlite':
      return new SqliteImpressionStore(join(config.stateDir, 'impressions.sqlite'));
    case 'postgres':
      return PostgresImpressionStore.open({
        url: s.url,
        poolMax: s.poolMax,
        statementTimeoutMs: s.statementTimeoutMs,
        onIdleError: (err) => log.warn({ component: 'store', err: err.message }, 'postgres idle connection error'),
      });
  }
}
