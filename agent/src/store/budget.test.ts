import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from '../obs/metrics.js';
import { Store } from './store.js';
import { doorState, openStore, play, ROOMY, row, stamp, T0, tempDir } from './testing.js';

const HOUR = 3_600_000;
const sumRolled = (s: Store) => s.db.prepare('SELECT coalesce(sum(count), 0) FROM door_event_rollups').pluck().get() as number;

describe('budget', () => {
  it('rolls the oldest door events into hourly counts; totals preserved exactly; impressions untouched', () => {
    const s = openStore({ budget: { maxDoorEvents: 1000, maxBytes: 2 ** 30 }, budgetEvery: Number.MAX_SAFE_INTEGER });
    // One event a minute for 25 hours, alternating unlock (granted / denied) and door state.
    // One transaction for speed: per-insert durability is durability.test.ts's subject.
    s.transaction(() => {
      for (let i = 1; i <= 1500; i++) {
        const wallTimeMs = T0 + i * 60_000;
        s.insertDoorEvent(i % 2 ? row(i, { wallTimeMs, granted: i % 3 !== 0 }) : doorState(i, i % 4 ? 'opened' : 'closed', { wallTimeMs }));
      }
    });
    for (let i = 0; i < 50; i++) s.outbox.append(play(), stamp());
    const r = s.enforceBudget(T0 + 999);
    expect(r).toMatchObject({ rolledUp: 600, doorEvents: 900, outboxDepth: 50, exceeded: false });
    expect(sumRolled(s) + s.doorEvents.count()).toBe(1500);
    expect(s.db.prepare('SELECT min(seq) FROM door_events').pluck().get()).toBe(601);
    expect(s.db.prepare('SELECT at_ms, rows, reason, first_id, last_id, oldest_ms, newest_ms FROM rollup_log').all()).toEqual([
      { at_ms: T0 + 999, rows: 600, reason: 'row budget', first_id: 1, last_id: 600, oldest_ms: T0 + 60_000, newest_ms: T0 + 600 * 60_000 },
    ]);
    expect(s.outbox.depth()).toBe(50);
    // Hourly buckets per door, kind, method and outcome, recomputed here from the inserts.
    const expected = new Map<string, number>();
    for (let i = 1; i <= 600; i++) {
      const hour = Math.floor((T0 + i * 60_000) / HOUR) * HOUR;
      const key = i % 2 ? `${hour}|unlock|card|${i % 3 !== 0 ? 'granted' : 'denied'}` : `${hour}|door-state||${i % 4 ? 'opened' : 'closed'}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const got = new Map(
      (s.db.prepare('SELECT hour_ms, kind, method, outcome, count FROM door_event_rollups').all() as { hour_ms: number; kind: string; method: string; outcome: string; count: number }[]).map((x) => [
        `${x.hour_ms}|${x.kind}|${x.method}|${x.outcome}`,
        x.count,
      ]),
    );
    expect(got).toEqual(expected);
  });

  it('keeps recognising retransmissions of rolled-up events, but not seqs that never arrived', () => {
    const s = openStore({ budget: { maxDoorEvents: 1000, maxBytes: 2 ** 30 }, budgetEvery: Number.MAX_SAFE_INTEGER });
    // Seq 50 and 70..79 fail to store the first time (disk full): the controller still holds them.
    s.transaction(() => {
      for (let i = 1; i <= 1200; i++) if (i !== 50 && (i < 70 || i > 79)) s.insertDoorEvent(row(i));
    });
    s.enforceBudget();
    expect(s.db.prepare('SELECT first_seq, last_seq FROM rolled_seqs ORDER BY first_seq').raw().all()).toEqual([
      [1, 49],
      [51, 69],
      [80, 300],
    ]);
    expect(s.insertDoorEvent(row(5))).toBe('duplicate');
    expect(s.insertDoorEvent(row(300))).toBe('duplicate');
    expect(s.insertDoorEvent(row(301))).toBe('duplicate');
    expect(s.insertDoorEvent(row(50))).toBe('stored');
    expect(s.insertDoorEvent(row(75))).toBe('stored');
    // A second roll-up takes 50 and 75 (the oldest rows once the rest is gone): ranges merge.
    s.db.prepare('DELETE FROM door_events WHERE seq NOT IN (50, 75)').run();
    s.transaction(() => {
      for (let i = 1; i <= 1001; i++) s.insertDoorEvent(row(i, { controllerId: 'DC-2' }));
    });
    s.enforceBudget();
    expect(s.db.prepare("SELECT first_seq, last_seq FROM rolled_seqs WHERE controller_id = 'DC-1' ORDER BY first_seq").raw().all()).toEqual([
      [1, 69],
      [75, 75],
      [80, 300],
    ]);
    expect(s.insertDoorEvent(row(72))).toBe('stored');
    expect(s.insertDoorEvent(row(75))).toBe('duplicate');
  });

  it('rolls up on its own every budgetEvery stored events', () => {
    const s = openStore({ budget: { maxDoorEvents: 1000, maxBytes: 2 ** 30 }, budgetEvery: 100 });
    s.transaction(() => {
      for (let i = 1; i <= 2000; i++) s.insertDoorEvent(row(i));
    });
    expect(s.doorEvents.count()).toBeLessThanOrEqual(1000);
    expect(sumRolled(s) + s.doorEvents.count()).toBe(2000);
  });

  it('rolls up by bytes when the file is over its byte budget', () => {
    const s = openStore({ budget: { maxDoorEvents: 1_000_000, maxBytes: 256 * 1024 }, budgetEvery: Number.MAX_SAFE_INTEGER });
    s.transaction(() => {
      for (let i = 1; i <= 4000; i++) s.insertDoorEvent(row(i));
    });
    const r = s.enforceBudget();
    expect(r.bytes).toBeLessThanOrEqual(256 * 1024);
    expect(r.exceeded).toBe(false);
    expect(r.rolledUp).toBeGreaterThan(0);
    expect(sumRolled(s) + r.doorEvents).toBe(4000);
    expect(s.db.prepare('SELECT DISTINCT reason FROM rollup_log').pluck().all()).toEqual(['byte budget']);
  });

  it('reports, rather than drops, when unacked impressions alone exceed the byte budget', () => {
    const registry = new Registry();
    const path = join(tempDir(), 'a.db');
    const s = new Store({ path, budget: { maxDoorEvents: 1000, maxBytes: 64 * 1024 }, registry, budgetEvery: Number.MAX_SAFE_INTEGER });
    s.transaction(() => {
      for (let i = 0; i < 400; i++) s.outbox.append(play({ segments: Array.from({ length: 30 }, (_, k) => `segment-${k}-${'x'.repeat(20)}`) }), stamp());
    });
    for (let i = 1; i <= 10; i++) s.insertDoorEvent(row(i));
    const r = s.enforceBudget();
    expect(r).toMatchObject({ exceeded: true, doorEvents: 0, rolledUp: 10, outboxDepth: 400 });
    expect(s.outbox.readOldest(500)).toHaveLength(400);
    s.close();
    return registry.getSingleMetricAsString('doorcast_store_over_budget').then((text) => expect(text).toMatch(/doorcast_store_over_budget 1$/m));
  });

  it('never rolls up impressions, whatever the budget', () => {
    const s = openStore({ budget: { maxDoorEvents: 1000, maxBytes: 1 }, budgetEvery: 1 });
    for (let i = 0; i < 20; i++) {
      s.outbox.append(play(), stamp());
      s.insertDoorEvent(row(i + 1));
    }
    expect(s.outbox.depth()).toBe(20);
    expect(s.doorEvents.count()).toBe(0);
    expect(sumRolled(s)).toBe(20);
  });
});

it('a roomy budget changes nothing', () => {
  const s = openStore({ budget: ROOMY });
  for (let i = 1; i <= 10; i++) s.insertDoorEvent(row(i));
  expect(s.enforceBudget()).toMatchObject({ rolledUp: 0, doorEvents: 10, exceeded: false });
});
