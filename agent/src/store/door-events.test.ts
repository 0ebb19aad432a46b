import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StoreError } from './errors.js';
import { Store } from './store.js';
import { doorState, openStore, ROOMY, row, tempDir } from './testing.js';

describe('door events', () => {
  it('are idempotent on (controller, seq); GPIO events without seq are always new', () => {
    const s = openStore();
    expect(s.insertDoorEvent(row(1))).toBe('stored');
    expect(s.insertDoorEvent(row(1))).toBe('duplicate');
    expect(s.insertDoorEvent(row(1, { controllerId: 'DC-2' }))).toBe('stored');
    expect(s.insertDoorEvent(row(null, { controllerId: 'gpio:pinctrl' }))).toBe('stored');
    expect(s.insertDoorEvent(row(null, { controllerId: 'gpio:pinctrl' }))).toBe('stored');
    expect(s.doorEvents.count()).toBe(4);
  });

  it('recognise a retransmission after a restart', () => {
    const path = join(tempDir(), 'a.db');
    const a = new Store({ path, budget: ROOMY });
    expect(a.insertDoorEvent(row(9))).toBe('stored');
    a.close();
    const b = new Store({ path, budget: ROOMY });
    expect(b.insertDoorEvent(row(9))).toBe('duplicate');
    b.close();
  });

  it('store every field as typed columns, door-state events included', () => {
    const s = openStore();
    s.insertDoorEvent(row(1, { granted: false, reason: 3, method: 'qr', controllerTimeMs: 1_767_250_000_123 }));
    s.insertDoorEvent(doorState(2, 'opened'));
    expect(s.db.prepare('SELECT controller_id, seq, source, door, kind, method, granted, reason, state, pseudonym, key_id, controller_time_ms, clock_synced FROM door_events ORDER BY id').all()).toEqual([
      { controller_id: 'DC-1', seq: 1, source: 'main', door: 'east-gate', kind: 'unlock', method: 'qr', granted: 0, reason: 3, state: null, pseudonym: row(1).pseudonym, key_id: 'k1', controller_time_ms: 1_767_250_000_123, clock_synced: 1 },
      { controller_id: 'DC-1', seq: 2, source: 'main', door: 'east-gate', kind: 'door-state', method: null, granted: null, reason: null, state: 'opened', pseudonym: null, key_id: null, controller_time_ms: 0, clock_synced: 1 },
    ]);
  });

  it.each([
    ['a raw card number as pseudonym', row(1, { pseudonym: '0004123456' }), 'pseudonym'],
    ['an extra credential field', { ...row(1), credential: '0004123456' }, 'credential'],
    ['seq 0', row(0), 'seq'],
    ['an unknown method', row(1, { method: 'telepathy' }), 'method'],
    ['an unlock without a grant', row(1, { granted: null }), 'granted'],
    ['a door-state with a pseudonym', doorState(1, 'closed', { pseudonym: row(1).pseudonym, keyId: 'k1' }), 'method'],
    ['a pseudonym without its key id', row(1, { keyId: null }), 'keyId'],
    ['a negative mono offset', row(1, { monoMs: -1 }), 'monoMs'],
  ])('reject %s with the field path, writing nothing', (_, bad, field) => {
    const s = openStore();
    let err: unknown;
    try {
      s.insertDoorEvent(bad as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('invalid');
    expect((err as StoreError).message).toContain(field);
    expect(s.doorEvents.count()).toBe(0);
  });

  it('never hold a raw credential: no column has room for one', () => {
    const s = openStore();
    const cols = (s.db.prepare('PRAGMA table_info(door_events)').all() as { name: string }[]).map((c) => c.name);
    expect(cols).toContain('pseudonym');
    expect(cols.some((c) => /credential|card/.test(c))).toBe(false);
  });

  it('throw StoreError closed after close, and close twice is harmless', () => {
    const path = join(tempDir(), 'a.db');
    const s = new Store({ path, budget: ROOMY });
    s.close();
    s.close();
    expect(() => s.insertDoorEvent(row(1))).toThrow(expect.objectContaining({ code: 'closed' }));
    expect(() => s.outbox.depth()).toThrow(expect.objectContaining({ code: 'closed' }));
    // The WAL was checkpointed into the main file on close.
    const d = new Database(path, { readonly: true });
    expect(d.prepare('SELECT count(*) FROM door_events').pluck().get()).toBe(0);
    d.close();
  });
});
