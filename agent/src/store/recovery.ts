// A damaged database must not crash-loop the agent: it is moved aside (kept for forensics,
// at most `keep` sets) and the agent starts with an empty one. DESIGN.md rules 1 and 3.
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Db } from './database.js';

export type IntegrityCheck = 'integrity' | 'quick';

/**
 * null when the database is sound, else the first problems found. 'integrity' is the default:
 * it also checks that every index matches its table, and the UNIQUE index on
 * (controller_id, seq) is what makes retransmissions harmless; quick_check skips that.
 * Its cost is bounded by the store budget: ~0.9 s for 500k door events (79 MiB) on the dev
 * machine against ~0.3 s for quick_check, once per start.
 */
export function checkIntegrity(db: Db, how: IntegrityCheck): string | null {
  const pragma = how === 'quick' ? 'quick_check(20)' : 'integrity_check(20)';
  const rows = db.pragma(pragma) as Record<string, string>[];
  const problems = rows.map((r) => Object.values(r)[0] ?? '').filter((r) => r !== 'ok');
  return problems.length ? problems.join('; ') : null;
}

const SUFFIXES = ['', '-wal', '-shm', '-journal'] as const;

/** Moves the database and its WAL/SHM aside to `<path>.corrupt-<timestamp>`; returns that name. */
export function moveAside(path: string, now: number): string {
  const aside = `${path}.corrupt-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of SUFFIXES) {
    if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
  }
  return aside;
}

/** Deletes all but the newest `keep` moved-aside sets, so repeated corruption cannot fill the disk. */
export function pruneAside(path: string, keep: number): string[] {
  const prefix = `${basename(path)}.corrupt-`;
  const stamps = new Set<string>();
  for (const f of readdirSync(dirname(path))) {
    if (!f.startsWith(prefix)) continue;
    const rest = f.slice(prefix.length);
    const suffix = SUFFIXES.find((s) => s !== '' && rest.endsWith(s)) ?? '';
    stamps.add(rest.slice(0, rest.length - suffix.length));
  }
  // ISO timestamps sort chronologically.
  const old = [...stamps].sort().slice(0, Math.max(0, stamps.size - keep));
  const removed: string[] = [];
  for (const stamp of old) {
    for (const suffix of SUFFIXES) {
      const f = join(dirname(path), prefix + stamp + suffix);
      if (existsSync(f)) {
        rmSync(f, { force: true });
        removed.push(f);
      }
    }
  }
  return removed;
}
