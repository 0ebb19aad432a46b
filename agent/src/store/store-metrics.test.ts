import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from '../obs/metrics.js';
import { Store } from './store.js';
import { play, ROOMY, row, stamp, tempDir } from './testing.js';

const value = async (registry: Registry, name: string) => {
  const m = await registry.getSingleMetric(name)?.get();
  return m?.values[0]?.value;
};

describe('store metrics', () => {
  it('read the database at scrape time: size, door events, outbox depth and age, roll-ups', async () => {
    const registry = new Registry();
    let now = stamp({ monoMs: 5000 });
    const s = new Store({ path: join(tempDir(), 'a.db'), budget: { maxDoorEvents: 1000, maxBytes: 2 ** 30 }, registry, budgetEvery: Number.MAX_SAFE_INTEGER, stamp: () => now });
    try {
      s.transaction(() => {
        for (let i = 1; i <= 1100; i++) s.insertDoorEvent(row(i));
      });
      s.outbox.append(play(), stamp({ monoMs: 5000 }));
      s.outbox.append(play(), stamp({ monoMs: 6000 }));
      now = stamp({ monoMs: 65_000 });
      expect(await value(registry, 'doorcast_store_door_events')).toBe(1100);
      expect(await value(registry, 'doorcast_outbox_depth')).toBe(2);
      expect(await value(registry, 'doorcast_outbox_oldest_age_seconds')).toBe(60);
      expect(await value(registry, 'doorcast_store_bytes')).toBeGreaterThan(100_000);
      s.enforceBudget();
      expect(await value(registry, 'doorcast_store_door_events')).toBe(900);
      expect(await value(registry, 'doorcast_store_rolled_up_total')).toBe(200);
      expect(await value(registry, 'doorcast_store_over_budget')).toBe(0);
      expect(await value(registry, 'doorcast_store_corrupt_recoveries_total')).toBe(0);
    } finally {
      s.close();
    }
    // A closed store does not break the scrape.
    await expect(registry.metrics()).resolves.toContain('doorcast_store_door_events');
  });

  it('follow the store now open on the registry after a reopen', async () => {
    const registry = new Registry();
    const path = join(tempDir(), 'a.db');
    const a = new Store({ path, budget: ROOMY, registry });
    a.insertDoorEvent(row(1));
    a.close();
    const b = new Store({ path, budget: ROOMY, registry });
    b.insertDoorEvent(row(2));
    b.insertDoorEvent(row(3));
    expect(await value(registry, 'doorcast_store_door_events')).toBe(3);
    b.close();
  });
});
