// Small durable state: key/value sync cursors, the last good manifest, and per-boot clock
// facts used to correct wall times stamped before the clock was synchronised.
import type { Db } from './database.js';

export interface CachedManifest {
  version: number;
  body: string;
  signature: string;
  keyId: string;
  appliedMs: number;
}

export class State {
  constructor(readonly db: Db) {}

  get(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM sync_state WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  set(key: string, value: string): void {
    this.db.prepare('INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  manifest(): CachedManifest | undefined {
    const r = this.db.prepare('SELECT version, body, signature, key_id, applied_ms FROM manifest_cache WHERE id = 1').get() as Record<string, unknown> | undefined;
    return r && { version: r.version as number, body: r.body as string, signature: r.signature as string, keyId: r.key_id as string, appliedMs: r.applied_ms as number };
  }

  /** Replaces the cached manifest atomically (one row, one transaction). */
  saveManifest(m: CachedManifest): void {
    this.db
      .prepare(`INSERT INTO manifest_cache (id, version, body, signature, key_id, applied_ms) VALUES (1, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET version = excluded.version, body = excluded.body, signature = excluded.signature,
        key_id = excluded.key_id, applied_ms = excluded.applied_ms`)
      .run(m.version, m.body, m.signature, m.keyId, m.appliedMs);
  }

  noteBoot(bootId: string, now: number): void {
    this.db.prepare('INSERT INTO boots (boot_id, first_seen_ms) VALUES (?, ?) ON CONFLICT DO NOTHING').run(bootId, now);
  }

  /**
   * The clock of boot `bootId` is now synchronised and wall = mono + offsetMs. Rewrites the
   * wall time of that boot's rows stamped while unsynchronised, in one transaction
   * (DESIGN.md rule 6). Returns how many rows were corrected.
   */
  correctClock(bootId: string, offsetMs: number, now: number): number {
    return this.db.transaction(() => {
      const a = this.db.prepare('UPDATE door_events SET wall_time_ms = mono_ms + ?, clock_synced = 1 WHERE boot_id = ? AND clock_synced = 0').run(offsetMs, bootId).changes;
      const b = this.db.prepare('UPDATE impressions_outbox SET wall_time_ms = mono_ms + ?, clock_synced = 1 WHERE boot_id = ? AND clock_synced = 0').run(offsetMs, bootId).changes;
      this.db.prepare('INSERT INTO boots (boot_id, first_seen_ms, synced_ms, offset_ms) VALUES (?, ?, ?, ?) ON CONFLICT (boot_id) DO UPDATE SET synced_ms = excluded.synced_ms, offset_ms = excluded.offset_ms').run(bootId, now, now, offsetMs);
      return a + b;
    })();
  }
}
