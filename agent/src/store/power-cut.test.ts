// Power cut during heavy writes. A child process commits door events as fast as it can and
// prints each seq once acked; at ~10 random moments the parent copies the .db and -wal files
// (plain file copies, no SQLite locking) and notes the highest seq printed before the copy.
// Every copy must pass integrity_check and hold every event acked before it was taken.
//
// The writer is frozen (SIGSTOP) for the few milliseconds of each copy. Two plain copies of
// two files that are both changing are not one instant: a checkpoint that runs between the
// copy of the WAL and the copy of the main file gives a pair no power cut can leave, and the
// test would fail for the wrong reason. Frozen, the writer may be anywhere: mid-transaction,
// between the WAL frames of one commit, mid-checkpoint; that is what a cut leaves on disk.
// Limit: the copies read through the page cache, so this proves crash consistency, not that
// the commit reached the medium; durability.test.ts shows every commit is fsynced.
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from '@doorcast/firmware-protocol/emulator';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from './testing.js';

const WRITER = fileURLToPath(new URL('./power-cut-writer.ts', import.meta.url));

function startWriter(db: string): { child: ChildProcess; acked: () => number; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, db, '10000000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let acked = 0;
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    if (lines.length) acked = Number(lines.at(-1));
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, acked: () => acked, exited };
}

describe('power cut', () => {
  it('every copy taken mid-write opens, passes integrity_check and holds every acked event', async () => {
    const dir = tempDir('dc-cut-');
    const db = join(dir, 'agent.db');
    const w = startWriter(db);
    const rand = prng(2026);
    const copies: { path: string; ackedBefore: number }[] = [];
    try {
      const deadline = Date.now() + 20_000;
      while (copies.length < 10 && Date.now() < deadline && w.child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 50 + rand() * 250));
        const ackedBefore = w.acked();
        if (ackedBefore === 0) continue;
        const copy = join(dir, `cut-${copies.length}.db`);
        w.child.kill('SIGSTOP');
        try {
          for (const suffix of ['', '-wal']) if (existsSync(db + suffix)) copyFileSync(db + suffix, copy + suffix);
        } finally {
          w.child.kill('SIGCONT');
        }
        copies.push({ path: copy, ackedBefore });
      }
    } finally {
      w.child.kill('SIGKILL');
      await w.exited;
    }
    expect(copies.length).toBe(10);
    for (const c of copies) {
      const d = new Database(c.path);
      try {
        expect(d.pragma('integrity_check', { simple: true })).toBe('ok');
        const { n, top } = d.prepare('SELECT count(*) AS n, max(seq) AS top FROM door_events WHERE seq <= ?').get(c.ackedBefore) as { n: number; top: number };
        expect({ copy: c.path, n, top }).toEqual({ copy: c.path, n: c.ackedBefore, top: c.ackedBefore });
      } finally {
        d.close();
      }
    }
    // Copies were taken while real work went on, not at the very start.
    expect(copies.at(-1)!.ackedBefore).toBeGreaterThan(copies[0]!.ackedBefore);
  }, 40_000);
});
