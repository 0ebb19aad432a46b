import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Stamp } from '../clock/clock.js';
import type { DoorEventRow } from '../ingest/pipeline.js';
import { migrate } from './database.js';
import { StoreError } from './errors.js';
import { SCHEMA_VERSION } from './migrations.js';
import { Store } from './store.js';

const dir = () => mkdtempSync(join(tmpdir(), 'dc-store-'));
const budget = { maxDoorEvents: 1_000_000, maxBytes: 2 ** 30 };
const stamp = (over: Partial<Stamp> = {}): Stamp => ({ wallMs: 1_767_250_800_000, bootId: 'boot-a', monoMs: 5000, clockSynced: true, ...over });

export function row(seq: number | null, over: Partial<DoorEventRow> = {}): DoorEventRow {
  return {
    controllerId: 'DC-1', seq, source: 'main', door: 'east-gate', kind: 'unlock', method: 'card', granted: true, reason: 0, state: null,
    pseudonym: 'k1.abc', keyId: 'k1', controllerTimeMs: 0, wallTimeMs: 1_767_250_800_000 + (seq ?? 0) * 1000, bootId: 'boot-a', monoMs: 1000 + (seq ?? 0), clockSynced: true, ...over,
  };
}

describe('door events', () => {
  it('are idempotent on (controller, seq), and GPIO events without seq are always new', () => {
    const s = new Store({ path: join(dir(), 'a.db'), budget });
    expect(s.insertDoorEvent(row(1))).toBe('stored');
    expect(s.insertDoorEvent(row(1))).toBe('duplicate');
    expect(s.insertDoorEvent(row(1, { controllerId: 'DC-2' }))).toBe('stored');
    expect(s.insertDoorEvent(row(null, { controllerId: 'gpio:pinctrl' }))).toBe('stored');
    expect(s.insertDoorEvent(row(null, { controllerId: 'gpio:pinctrl' }))).toBe('stored');
    expect(s.doorEvents.count()).toBe(4);
    s.close();
  });

  it('never store a raw credential: the row type has no place for one', () => {
    const path = join(dir(), 'a.db');
    const s = new Store({ path, budget });
    s.insertDoorEvent(row(7, { pseudonym: 'k1.XyZ' }));
    s.close();
    const cols = (new Database(path).prepare('PRAGMA table_info(door_events)').all() as { name: string }[]).map((c) => c.name);
    expect(cols.some((c) => /credential|card/.test(c))).toBe(false);
  });
});

describe('durability settings', () => {
  it('commits with WAL and synchronous=FULL, foreign keys on', () => {
    const s = new Store({ path: join(dir(), 'a.db'), budget });
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(s.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(s.db.pragma('foreign_keys', { simple: true })).toBe(1);
    s.recordPassage('k1.a', 1, 'east-gate'); // relaxed commit restores FULL afterwards
    expect(s.db.pragma('synchronous', { simple: true })).toBe(2);
    s.close();
  });
});

describe('impressions outbox', () => {
  it('device_seq is never reused, even after deletes and a restart', () => {
    const path = join(dir(), 'a.db');
    let s = new Store({ path, budget });
    const a = s.recordPlay('imp-1', { c: 1 }, stamp(), []);
    const b = s.recordPlay('imp-2', { c: 2 }, stamp(), []);
    expect(s.outbox.deleteAcked([a, b])).toBe(2);
    s.close();
    s = new Store({ path, budget });
    const c = s.recordPlay('imp-3', { c: 3 }, stamp(), []);
    expect(c).toBeGreaterThan(b);
    expect(s.outbox.readOldest(10).map((r) => r.deviceSeq)).toEqual([c]);
    s.close();
  });

  it('reads oldest first after a cursor, deletes idempotently, reports depth and age', () => {
    const s = new Store({ path: join(dir(), 'a.db'), budget });
    const seqs = [1, 2, 3, 4, 5].map((i) => s.recordPlay(`imp-${i}`, { i }, stamp(), []));
    expect(s.outbox.readOldest(2).map((r) => r.body)).toEqual([{ i: 1 }, { i: 2 }]);
    expect(s.outbox.readOldest(10, seqs[2]).map((r) => r.deviceSeq)).toEqual(seqs.slice(3));
    expect(s.outbox.deleteAcked([seqs[0]!, seqs[0]!, 999])).toBe(1);
    expect(s.outbox.depth()).toBe(4);
    expect(s.outbox.oldestAgeMs(Date.now() + 10_000)).toBeGreaterThanOrEqual(10_000);
    s.close();
  });

  it('an impression and its counter updates commit together or not at all', () => {
    const s = new Store({ path: join(dir(), 'a.db'), budget });
    s.recordPlay('imp-1', {}, stamp(), [{ pseudonym: 'k1.a', campaign: 'c1', day: '2026-01-01', completed: true }]);
    expect(() => s.recordPlay('imp-1', {}, stamp(), [{ pseudonym: 'k1.a', campaign: 'c1', day: '2026-01-01', completed: true }])).toThrow(StoreError);
    const counts = s.counters.read('k1.a', '2026-01-01');
    expect(counts.byCampaign.get('c1')?.get('2026-01-01')).toEqual({ plays: 1, completions: 1 });
    expect(s.outbox.depth()).toBe(1);
    s.counters.feedback('k1.a', 'c2', true);
    expect(s.counters.read('k1.a', '2026-01-01').negative).toEqual(new Set(['c2']));
    s.close();
  });
});

describe('budget', () => {
  it('rolls the oldest door events into hourly counts; totals are preserved exactly; impressions untouched', () => {
    const s = new Store({ path: join(dir(), 'a.db'), budget: { maxDoorEvents: 1000, maxBytes: 2 ** 30 }, budgetEvery: 1_000_000 });
    for (let i = 1; i <= 1500; i++) s.insertDoorEvent(row(i, { kind: i % 2 ? 'unlock' : 'door-state', method: i % 2 ? 'card' : null, state: i % 2 ? null : 'closed', wallTimeMs: 1_767_250_800_000 + i * 60_000 }));
    for (let i = 0; i < 50; i++) s.recordPlay(`imp-${i}`, {}, stamp(), []);
    const r = s.enforceBudget();
    expect(r.rolledUp).toBe(600);
    expect(r.doorEvents).toBe(900);
    const rolled = (s.db.prepare('SELECT sum(count) AS n FROM door_event_rollups').get() as { n: number }).n;
    expect(rolled + s.doorEvents.count()).toBe(1500);
    const oldestLeft = (s.db.prepare('SELECT min(seq) AS m FROM door_events').get() as { m: number }).m;
    expect(oldestLeft).toBe(601);
    expect(s.db.prepare('SELECT rows, reason FROM rollup_log').all()).toEqual([{ rows: 600, reason: 'row budget' }]);
    expect(s.outbox.depth()).toBe(50);
    // A late retransmission of a rolled-up event is still recognised.
    expect(s.insertDoorEvent(row(5))).toBe('duplicate');
    s.close();
  });

  it('reports, rather than drops, when unsynced impressions alone exceed the byte budget', () => {
    const s = new Store({ path: join(dir(), 'a.db'), budget: { maxDoorEvents: 1000, maxBytes: 64 * 1024 } });
    for (let i = 0; i < 400; i++) s.recordPlay(`imp-${i}`, { pad: 'x'.repeat(400) }, stamp(), []);
    const r = s.enforceBudget();
    expect(r.exceeded).toBe(true);
    expect(s.outbox.depth()).toBe(400);
    s.close();
  });
});

describe('clock correction', () => {
  it('rewrites wall times of the boot stamped before sync from the monotonic offset', () => {
    const s = new Store({ path: join(dir(), 'a.db'), budget });
    s.insertDoorEvent(row(1, { bootId: 'boot-x', clockSynced: false, wallTimeMs: 86_400_000, monoMs: 10_000 }));
    s.insertDoorEvent(row(2, { bootId: 'boot-y', clockSynced: false, wallTimeMs: 86_400_000, monoMs: 10_000 }));
    s.recordPlay('imp-1', {}, stamp({ bootId: 'boot-x', clockSynced: false, wallMs: 1, monoMs: 20_000 }), []);
    expect(s.state.correctClock('boot-x', 1_767_250_000_000, Date.now())).toBe(2);
    const ev = s.db.prepare('SELECT seq, wall_time_ms AS w, clock_synced AS c FROM door_events ORDER BY seq').all();
    expect(ev).toEqual([{ seq: 1, w: 1_767_250_010_000, c: 1 }, { seq: 2, w: 86_400_000, c: 0 }]);
    expect(s.outbox.readOldest(1)[0]).toMatchObject({ wallTimeMs: 1_767_250_020_000, clockSynced: true });
    s.close();
  });
});

describe('migrations and recovery', () => {
  it('migrates a version-1 database with its rows intact', () => {
    const path = join(dir(), 'old.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    migrate(old, 1);
    old.prepare(`INSERT INTO door_events (controller_id, seq, source, door, kind, controller_time_ms, wall_time_ms, boot_id, mono_ms, clock_synced)
      VALUES ('DC-1', 41, 'main', 'east-gate', 'unlock', 0, 1, 'b', 1, 1)`).run();
    expect(old.pragma('user_version', { simple: true })).toBe(1);
    old.close();
    const s = new Store({ path, budget });
    expect(s.migratedFrom).toBe(1);
    expect(s.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(s.insertDoorEvent(row(41))).toBe('duplicate');
    s.counters.feedback('k1.a', 'c1', true); // a table added by migration 2
    s.close();
  });

  it('refuses a database from a newer agent instead of damaging it', () => {
    const path = join(dir(), 'new.db');
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    expect(() => new Store({ path, budget })).toThrow(/newer than this agent/);
  });

  it.each([
    ['random bytes', (p: string) => writeFileSync(p, Buffer.alloc(8192, 0x5a))],
    ['a truncated database', (p: string) => {
      const s = new Store({ path: p, budget });
      for (let i = 1; i <= 2000; i++) s.insertDoorEvent(row(i));
      s.close();
      writeFileSync(p, readFileSync(p).subarray(0, 8192));
    }],
    ['a database with a page overwritten', (p: string) => {
      const s = new Store({ path: p, budget });
      for (let i = 1; i <= 2000; i++) s.insertDoorEvent(row(i));
      s.close();
      const b = readFileSync(p);
      b.fill(0xff, 4096 * 3, 4096 * 4);
      writeFileSync(p, b);
    }],
  ])('%s is moved aside and the agent starts clean', (_, corrupt) => {
    const d = dir();
    const path = join(d, 'agent.db');
    corrupt(path);
    const s = new Store({ path, budget });
    expect(s.recoveredFrom).toMatch(/agent\.db\.corrupt-/);
    expect(existsSync(s.recoveredFrom!)).toBe(true);
    expect(s.insertDoorEvent(row(1))).toBe('stored');
    expect(readdirSync(d).some((f) => f.startsWith('agent.db.corrupt-'))).toBe(true);
    s.close();
  });
});

describe('disk full', () => {
  it('fails the insert with StoreError full, and works again when space returns', () => {
    const s = new Store({ path: join(dir(), 'a.db'), budget, budgetEvery: 1_000_000 });
    const pages = s.db.pragma('page_count', { simple: true }) as number;
    s.db.pragma(`max_page_count = ${pages + 2}`);
    let err: unknown;
    let i = 1;
    for (; i < 100_000; i++) {
      try {
        s.insertDoorEvent(row(i, { pseudonym: `k1.${'p'.repeat(20)}${i}` }));
      } catch (e) {
        err = e;
        break;
      }
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('full');
    s.db.pragma('max_page_count = 1000000');
    expect(s.insertDoorEvent(row(i))).toBe('stored');
    s.close();
  });
});
