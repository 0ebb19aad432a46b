// Small durable state: key/value sync cursors, the last good manifest, and per-boot clock
// facts (clock-correction.ts) used to correct wall times stamped before synchronisation.
import { Boots } from './clock-correction.js';
import { type Db, withSynchronous } from './database.js';
import { guard } from './errors.js';
import { type CachedManifest, CachedManifestSchema, check, SyncEntrySchema } from './records.js';

export class State {
  readonly boots: Boots;

  constructor(
    readonly db: Db,
    readonly dir: string,
  ) {
    this.boots = new Boots(db, dir);
  }

  get(key: string): string | undefined {
    return guard('read sync state', () => this.db.prepare('SELECT value FROM sync_state WHERE key = ?').pluck().get(key) as string | undefined);
  }

  /** Durable (FULL): cursors such as a next sequence number must never go backwards. */
  set(key: string, value: string): void {
    check(SyncEntrySchema, { key, value }, 'sync state');
    guard('write sync state', () => this.db.prepare('INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value), this.dir);
  }

  manifest(): CachedManifest | undefined {
    const r = guard('read manifest', () => this.db.prepare('SELECT version, body, signature, key_id, applied_ms FROM manifest_cache WHERE id = 1').get()) as
      | { version: number; body: string; signature: string; key_id: string; applied_ms: number }
      | undefined;
    return r && { version: r.version, body: r.body, signature: r.signature, keyId: r.key_id, appliedMs: r.applied_ms };
  }

  /** Replaces the cached manifest atomically (one row). A cache: committed with NORMAL (database.ts). */
  saveManifest(m: CachedManifest): void {
    const v = check(CachedManifestSchema, m, 'manifest');
    guard(
      'save manifest',
      () =>
        withSynchronous(this.db, 'NORMAL', () =>
          this.db
            .prepare(`INSERT INTO manifest_cache (id, version, body, signature, key_id, applied_ms) VALUES (1, ?, ?, ?, ?, ?)
              ON CONFLICT (id) DO UPDATE SET version = excluded.version, body = excluded.body, signature = excluded.signature,
              key_id = excluded.key_id, applied_ms = excluded.applied_ms`)
            .run(v.version, v.body, v.signature, v.keyId, v.appliedMs),
        ),
      this.dir,
    );
  }

  /** Kept here for runtime/agent.ts; see Boots.note. */
  noteBoot(bootId: string, nowMs: number): void {
    this.boots.note(bootId, nowMs);
  }

  /** Kept here for runtime/agent.ts; see Boots.correct. */
  correctClock(bootId: string, offsetMs: number, nowMs: number): number {
    return this.boots.correct(bootId, offsetMs, nowMs);
  }
}
