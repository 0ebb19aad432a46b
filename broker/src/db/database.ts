// The broker's own SQLite file (identities, fleet, campaigns, manifests). Impressions live
// behind the ImpressionStore interface, in their own file.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/** Opens (and migrates) a broker state database; several processes may open it (WAL). */
export function openStateDb(stateDir: string, file = 'broker.sqlite'): Db {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, file);
  const fresh = !existsSync(path);
  const db = new Database(path);
  // Credential hashes live here: keep the file private.
  if (fresh) chmodSync(path, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
