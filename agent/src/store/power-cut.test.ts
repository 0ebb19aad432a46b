// Power cut during heavy writes: copies of the database files taken at random moments while
// a writer commits (a torn copy is what a power cut leaves on disk). Every copy must open,
// pass integrity_check, and hold every event acked before the copy began.
// Limit: a copy reads through the page cache, so it proves crash consistency, not that the
// commit reached the platter; that is synchronous=FULL, asserted in store.test.ts.

import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from '@doorcast/firmware-protocol/emulator';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

describe('power cut', () => {
  it('every copy taken mid-write opens and holds every acked event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-cut-'));
    const db = join(dir, 'agent.db');
    const writer = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./power-cut-writer.ts', import.meta.url)), db, '200000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = 0;
    let buf = '';
    writer.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      if (lines.length) acked = Number(lines.at(-1));
    });
    const done = new Promise<void>((r) => writer.once('exit', () => r()));
    const rand = prng(2026);
    const copies: { path: string; ackedBefore: number }[] = [];
    const deadline = Date.now() + 20_000;
    while (copies.length < 10 && Date.now() < deadline && writer.exitCode === null) {
      await new Promise((r) => setTimeout(r, 100 + rand() * 300));
      if (acked === 0) continue;
      const ackedBefore = acked;
      const copy = join(dir, `cut-${copies.length}.db`);
      // WAL first: it is what the acked commits live in until a checkpoint.
      for (const suffix of ['-wal', '']) if (existsSync(db + suffix)) copyFileSync(db + suffix, copy + suffix);
      copies.push({ path: copy, ackedBefore });
    }
    writer.kill('SIGKILL');
    await done;
    expect(copies.length).toBeGreaterThanOrEqual(5);
    for (const c of copies) {
      const d = new Database(c.path);
      expect(d.pragma('integrity_check', { simple: true })).toBe('ok');
      const { n, top } = d.prepare('SELECT count(*) AS n, max(seq) AS top FROM door_events WHERE seq <= ?').get(c.ackedBefore) as { n: number; top: number };
      expect({ copy: c.path, n, top }).toEqual({ copy: c.path, n: c.ackedBefore, top: c.ackedBefore });
      d.close();
    }
  }, 40_000);
});
