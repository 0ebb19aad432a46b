import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from './database.js';
import { StoreError } from './errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { Store } from './store.js';
import { BOOT_A, play, ROOMY, row, stamp, tempDir } from './testing.js';

/** A database file at schema `version`, as an older agent left it. */
function oldDatabase(version: number, fill: (db: Database.Database) => void): string {
  const path = join(tempDir(), 'agent.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  migrate(db, MIGRATIONS, version);
  fill(db);
  expect(db.pragma('user_version', { simple: true })).toBe(version);
  db.close();
  return path;
}

describe('migrations', () => {
  it('bring a version-1 database to the current schema with every row intact', () => {
    const path = oldDatabase(1, (db) => {
      db.prepare(`INSERT INTO door_events (controller_id, seq, source, door, kind, method, granted, reason, pseudonym, key_id, controller_time_ms, wall_time_ms, boot_id, mono_ms, clock_synced)
        VALUES ('DC-1', 41, 'main', 'east-gate', 'unlock', 'card', 1, 0, ?, 'k1', 0, 1000, ?, 7, 0)`).run(row(41).pseudonym, BOOT_A);
      db.prepare(`INSERT INTO impressions_outbox (impression_id, body, wall_time_ms, boot_id, mono_ms, clock_synced, created_ms) VALUES (?, ?, 5, ?, 9, 1, 5)`).run(
        '00000000-0000-4000-8000-00000000abcd',
        JSON.stringify((({ impressionId: _, ...rest }) => rest)(play())),
        BOOT_A,
      );
      db.prepare("INSERT INTO resident_counters VALUES (?, 'c1', '2026-01-01', 3, 2)").run(row(1).pseudonym);
      db.prepare(`INSERT INTO manifest_cache VALUES (1, 7, '{"v":7}', 'sig', 'mk1', 11)`).run();
      db.prepare(`INSERT INTO sync_state VALUES ('impressions.cursor', '12')`).run();
      db.prepare(`INSERT INTO boots VALUES (?, 1, NULL, NULL)`).run(BOOT_A);
    });
    const s = new Store({ path, budget: ROOMY });
    expect(s.migratedFrom).toBe(1);
    expect(s.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(s.insertDoorEvent(row(41))).toBe('duplicate');
    expect(s.outbox.readOldest(5)).toEqual([expect.objectContaining({ deviceSeq: 1, impressionId: '00000000-0000-4000-8000-00000000abcd', monoMs: 9 })]);
    expect(s.counters.read(row(1).pseudonym!, '2026-01-01').playsByDay).toEqual(new Map([['2026-01-01', 3]]));
    expect(s.state.manifest()).toEqual({ version: 7, body: '{"v":7}', signature: 'sig', keyId: 'mk1', appliedMs: 11 });
    expect(s.state.get('impressions.cursor')).toBe('12');
    // The old unsynced row is still correctable.
    expect(s.correctClock(BOOT_A, 1_767_250_000_000)).toBe(1);
    // New device_seq continues after the old one.
    expect(s.outbox.append(play(), stamp())).toBe(2);
    s.counters.feedback(row(1).pseudonym!, 'c1', true, 1); // a table added by migration 2
    s.close();
  });

  it('turn v2 roll-ups into typed columns and the v2 seq floor into a range', () => {
    const path = oldDatabase(2, (db) => {
      const r = db.prepare('INSERT INTO door_event_rollups (hour_ms, door, kind, detail, count) VALUES (?, ?, ?, ?, ?)');
      r.run(3_600_000, 'east-gate', 'unlock', 'card:granted', 7);
      r.run(3_600_000, 'east-gate', 'unlock', 'qr:denied', 2);
      r.run(3_600_000, 'east-gate', 'door-state', 'opened', 5);
      db.prepare("INSERT INTO seq_floor VALUES ('DC-1', 120)").run();
      db.prepare("INSERT INTO rollup_log (at_ms, rows, oldest_ms, newest_ms, reason) VALUES (1, 14, 2, 3, 'row budget')").run();
    });
    const s = new Store({ path, budget: ROOMY });
    expect(s.migratedFrom).toBe(2);
    expect(s.db.prepare('SELECT kind, method, outcome, clock_synced, count FROM door_event_rollups ORDER BY count').all()).toEqual([
      { kind: 'unlock', method: 'qr', outcome: 'denied', clock_synced: 1, count: 2 },
      { kind: 'door-state', method: '', outcome: 'opened', clock_synced: 1, count: 5 },
      { kind: 'unlock', method: 'card', outcome: 'granted', clock_synced: 1, count: 7 },
    ]);
    expect(s.insertDoorEvent(row(120))).toBe('duplicate');
    expect(s.insertDoorEvent(row(121))).toBe('stored');
    expect(s.db.prepare('SELECT rows, first_id FROM rollup_log').get()).toEqual({ rows: 14, first_id: null });
    s.close();
  });

  it('run each step in a transaction: a failing step leaves the file at the previous version', () => {
    const path = join(tempDir(), 'a.db');
    const db = new Database(path);
    const steps = ['CREATE TABLE a (x INTEGER);', 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);'];
    expect(() => migrate(db, steps)).toThrow(/nowhere/);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all()).toEqual(['a']);
    db.close();
  });

  it('refuse a database from a newer agent and leave the file alone', () => {
    const dir = tempDir();
    const path = join(dir, 'agent.db');
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    let err: unknown;
    try {
      new Store({ path, budget: ROOMY });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ code: 'schema', message: expect.stringMatching(/newer than this agent/) });
    expect(existsSync(path)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('corrupt'))).toEqual([]);
  });
});
