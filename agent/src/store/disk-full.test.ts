// Disk full: an insert fails with StoreError('full') (the source NAKs, the controller keeps
// the event), nothing crashes, and the store works again once space returns. Twice: with a
// page limit inside SQLite (runs anywhere), and with a real full file system (a 4 MiB tmpfs;
// needs root / CAP_SYS_ADMIN, skipped otherwise).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StoreError } from './errors.js';
import { Store } from './store.js';
import { openStore, ROOMY, row, tempDir } from './testing.js';

/** Inserts from seq `from` until one fails; returns the seqs stored and the error. */
function fillUp(s: Store, from: number, max = 200_000): { stored: number[]; err: unknown } {
  const stored: number[] = [];
  for (let seq = from; seq < from + max; seq++) {
    try {
      expect(s.insertDoorEvent(row(seq))).toBe('stored');
      stored.push(seq);
    } catch (err) {
      return { stored, err };
    }
  }
  return { stored, err: undefined };
}

describe('disk full', () => {
  it('database page limit: insert fails with StoreError full; works again when space returns', () => {
    const s = openStore({ budgetEvery: Number.MAX_SAFE_INTEGER });
    const pages = s.db.pragma('page_count', { simple: true }) as number;
    s.db.pragma(`max_page_count = ${pages + 8}`);
    const { stored, err } = fillUp(s, 1);
    expect(stored.length).toBeGreaterThan(10);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('full');
    const failed = stored.length + 1;
    s.db.pragma('max_page_count = 1000000');
    expect(s.insertDoorEvent(row(failed))).toBe('stored');
    expect(s.doorEvents.count()).toBe(stored.length + 1);
  });

  it('real ENOSPC on a full tmpfs: StoreError full, nothing acked is lost, works again after space returns', (ctx) => {
    const mnt = join(tempDir('dc-store-tmpfs-'), 'mnt');
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      ctx.skip('cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN)');
      return;
    }
    try {
      const path = join(mnt, 'agent.db');
      const s = new Store({ path, budget: ROOMY, budgetEvery: Number.MAX_SAFE_INTEGER });
      let stored: number[] = [];
      try {
        // Leave ~300 KiB free, then fill it with door events.
        const filler = join(mnt, 'filler');
        writeFileSync(filler, Buffer.alloc(3.4 * 2 ** 20));
        const r = fillUp(s, 1);
        stored = r.stored;
        expect(stored.length).toBeGreaterThan(10);
        expect(r.err).toBeInstanceOf(StoreError);
        expect((r.err as StoreError).code).toBe('full');
        // Still full: fails again, cleanly.
        expect(() => s.insertDoorEvent(row(stored.length + 1))).toThrow(expect.objectContaining({ code: 'full' }));
        rmSync(filler);
        const next = fillUp(s, stored.length + 1, 50);
        expect(next.err).toBeUndefined();
        stored = [...stored, ...next.stored];
      } finally {
        s.close();
      }
      const d = new Database(path, { readonly: true });
      expect(d.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(d.prepare('SELECT seq FROM door_events ORDER BY seq').pluck().all()).toEqual(stored);
      d.close();
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});

it('a path that cannot be opened surfaces as StoreError io, and nothing is moved aside', () => {
  const path = join(tempDir(), 'agent.db');
  writeFileSync(path, '');
  expect(() => new Store({ path: join(path, 'under-a-file.db'), budget: ROOMY })).toThrow(expect.objectContaining({ name: 'StoreError', code: 'io' }));
});
