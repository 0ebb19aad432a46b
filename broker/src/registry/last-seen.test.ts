// Last seen in batches, on both state engines: marks are written together, coalesced per
// device, at once past maxPending, never backwards, and what is pending at stop() is written.
import { describe, expect, it } from 'vitest';
import { stateBackends } from '../../../test/support/state-backends.js';
import type { StateDb } from '../db/state-db.js';
import { silentLogger } from '../obs/log.js';
import { FleetRegistry } from './fleet.js';
import { LastSeen } from './last-seen.js';

/** The real db, with its statements counted. */
function counted(db: StateDb): { db: StateDb; runs: () => number } {
  let n = 0;
  const wrapped = Object.create(db) as StateDb;
  wrapped.run = (sql, args) => {
    n++;
    return db.run(sql, args);
  };
  return { db: wrapped, runs: () => n };
}

describe.each(stateBackends())('last seen on $name', (backend) => {
  async function fleetOf(n: number): Promise<{ db: StateDb; fleet: FleetRegistry; refs: { site: string; device: string }[] }> {
    const db = await backend.open();
    const fleet = new FleetRegistry(db);
    const refs = Array.from({ length: n }, (_, i) => ({ site: 'maple', device: `gate-${i}` }));
    for (const r of refs) await fleet.register(r);
    return { db, fleet, refs };
  }

  it('writes the marks of many batches in one statement per interval', async () => {
    const { db, fleet, refs } = await fleetOf(700);
    const c = counted(db);
    let t = Date.parse('2026-12-01T08:00:00Z');
    const seen = new LastSeen(c.db, { intervalMs: 60_000, log: silentLogger, now: () => new Date(t) });
    for (let round = 0; round < 3; round++) for (const r of refs) seen.mark(r);
    t += 1000;
    seen.mark(refs[5]!);
    expect([seen.pending, c.runs()]).toEqual([700, 0]);
    await seen.flush();
    // 700 devices in chunks of 300: three statements for 2,101 marks.
    expect([seen.pending, c.runs()]).toEqual([0, 3]);
    expect((await fleet.get(refs[0]!))?.lastSeen).toBe('2026-12-01T08:00:00.000Z');
    expect((await fleet.get(refs[5]!))?.lastSeen).toBe('2026-12-01T08:00:01.000Z');
    expect((await fleet.get(refs[699]!))?.lastSeen).toBe('2026-12-01T08:00:00.000Z');
  });

  it('writes at once when maxPending devices are waiting, and by itself after the interval', async () => {
    const { db, fleet, refs } = await fleetOf(3);
    const seen = new LastSeen(db, { intervalMs: 50, maxPending: 2, log: silentLogger });
    seen.mark(refs[0]!);
    seen.mark(refs[1]!);
    expect(seen.pending).toBe(0);
    await seen.flush();
    expect((await fleet.get(refs[1]!))?.lastSeen).not.toBeNull();
    seen.mark(refs[2]!);
    await new Promise((r) => setTimeout(r, 200));
    expect((await fleet.get(refs[2]!))?.lastSeen).not.toBeNull();
  });

  it('never takes last seen backwards, ignores unknown devices, and writes what is pending at stop()', async () => {
    const { db, fleet, refs } = await fleetOf(2);
    let t = Date.parse('2026-12-01T09:00:00Z');
    const seen = new LastSeen(db, { intervalMs: 60_000, log: silentLogger, now: () => new Date(t) });
    seen.mark(refs[0]!);
    // A connect recorded later than the mark, before the mark is written.
    await db.run('UPDATE devices SET last_seen = ? WHERE device = ?', ['2026-12-01T09:00:05.000Z', refs[0]!.device]);
    seen.mark({ site: 'maple', device: 'never-provisioned' });
    t += 10_000;
    seen.mark(refs[1]!);
    await seen.stop();
    expect((await fleet.get(refs[0]!))?.lastSeen).toBe('2026-12-01T09:00:05.000Z');
    expect((await fleet.get(refs[1]!))?.lastSeen).toBe('2026-12-01T09:00:10.000Z');
    expect(await fleet.get({ site: 'maple', device: 'never-provisioned' })).toBeNull();
    seen.mark(refs[1]!);
    expect(seen.pending).toBe(0);
  });

  it('a failed write is logged and dropped; the next marks still go', async () => {
    const { db, fleet, refs } = await fleetOf(1);
    const warned: string[] = [];
    const log = { ...silentLogger, warn: (_o: unknown, msg: string) => void warned.push(msg) } as unknown as typeof silentLogger;
    let fail = true;
    const flaky = Object.create(db) as StateDb;
    flaky.run = (sql, args) => (fail ? Promise.reject(new Error('connection reset')) : db.run(sql, args));
    const seen = new LastSeen(flaky, { intervalMs: 60_000, log });
    seen.mark(refs[0]!);
    await seen.flush();
    expect(warned).toEqual(['last seen not recorded']);
    fail = false;
    seen.mark(refs[0]!);
    await seen.flush();
    expect((await fleet.get(refs[0]!))?.lastSeen).not.toBeNull();
  });
});
