// Durable when it returns (DESIGN.md rule 2): the store runs WAL with synchronous=FULL, so every
// door-event commit fsyncs the WAL before insert returns; rebuildable data commits with NORMAL
// and does not (database.ts). Shown with strace counting the fsyncs of a real writer process
// (skipped where strace or ptrace is unavailable).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStore, pseudonym, tempDir } from './testing.js';

const WRITER = fileURLToPath(new URL('./power-cut-writer.ts', import.meta.url));
const COMMITS = 200;

/** fsync/fdatasync calls on the database's -wal file while the writer makes COMMITS commits. */
function walSyncs(mode: 'door' | 'counters'): number | null {
  const dir = tempDir('dc-fsync-');
  const trace = join(dir, 'trace');
  const r = spawnSync('strace', ['-f', '-y', '-e', 'trace=fsync,fdatasync', '-o', trace, process.execPath, '--import', 'tsx', WRITER, join(dir, 'agent.db'), String(COMMITS), mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  if (r.error || r.status !== 0) return null;
  expect(r.stdout.toString().trim().split('\n').at(-1)).toBe(String(COMMITS));
  return readFileSync(trace, 'utf8')
    .split('\n')
    .filter((l) => /f(data)?sync\(\d+<[^>]*agent\.db-wal>\)\s+=\s+0/.test(l)).length;
}

describe('durability', () => {
  it('runs WAL with synchronous=FULL, foreign keys on, a busy timeout and a bounded WAL', () => {
    const s = openStore();
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(s.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(s.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(s.db.pragma('busy_timeout', { simple: true })).toBe(2000);
    expect(s.db.pragma('journal_size_limit', { simple: true })).toBe(8 * 2 ** 20);
    // Relaxed commits put FULL back, also inside an enclosing transaction (where SQLite would refuse the switch).
    s.recordPassage(pseudonym(1), 1, 'east-gate');
    s.transaction(() => s.counters.increment([{ pseudonym: pseudonym(1), campaign: 'c1', day: '2026-01-01', completed: false }]));
    expect(s.db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('fsyncs the WAL at every door-event commit, and not at every NORMAL commit', (ctx) => {
    const full = walSyncs('door');
    if (full === null) {
      ctx.skip('strace unavailable or not permitted here');
      return;
    }
    expect(full).toBeGreaterThanOrEqual(COMMITS);
    const normal = walSyncs('counters');
    expect(normal).not.toBeNull();
    expect(normal!).toBeLessThan(COMMITS / 10);
  }, 60_000);
});
