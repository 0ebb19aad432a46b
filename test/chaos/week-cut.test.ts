// The network is cut for a week, at 40,000× (15 s): the proxy drops the open link and refuses
// every reconnect, as a dead uplink would. test/e2e/offline-week.test.ts drains a 50,000-play
// backlog in-process; this one is the real agent process living through the cut: doors keep
// being handled (a quiet gate's week, ~54 events a day), plays keep being recorded, it restarts
// once while offline, reconnects with backoff, reports the backlog, and the cloud ends exact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBroker } from '../../broker/src/testing.js';
import { waitFor } from '../support/service-process.js';
import { exact, type Gate, startGate, type World } from './world.js';

const SPEED = 40_000;
const WEEK_MS = 7 * 24 * 3600 * 1000;
const CUT_MS = WEEK_MS / SPEED;

describe('a week cut off, through the proxy', () => {
  let g: Gate;
  let w: World;
  let broker: TestBroker;
  beforeAll(async () => {
    g = await startGate('gate-week');
    ({ world: w, broker } = g);
  }, 60_000);
  afterAll(() => g?.destroy(), 30_000);

  it('doors handled and plays kept all week; drained exactly once when the link returns', async () => {
    await w.startAgent();
    w.startTraffic(80);
    await new Promise((r) => setTimeout(r, 2000));
    const inCloudBefore = await broker.store.countImpressions(w.ref);

    w.proxy.apply({ kind: 'refuse' });
    w.proxy.apply({ kind: 'drop' });
    const cutAt = Date.now();
    await new Promise((r) => setTimeout(r, CUT_MS / 2));
    // Half-way: a clean restart, offline (the last manifest and the cached creative carry on).
    expect(await w.agent.stop()).toBe(0);
    w.agent.start();
    await new Promise((r) => setTimeout(r, CUT_MS - (Date.now() - cutAt)));
    const acked = w.emu.acked.size;
    const backlog = w.outboxDepth();
    expect(await broker.store.countImpressions(w.ref)).toBe(inCloudBefore);
    // The door path never waited for the cloud: everything but the last moment's events is acked.
    expect(w.emu.ledger.size - acked).toBeLessThan(40);
    expect(backlog).toBeGreaterThan(20);
    // Reconnects kept coming, bounded by the backoff (base 100 ms, cap 1 s).
    const refused = w.proxy.stats.refused;
    expect(refused).toBeGreaterThan(CUT_MS / 1000 / 2);
    expect(refused).toBeLessThan(CUT_MS / 100);

    w.proxy.apply({ kind: 'accept' });
    // The first state message after the cut tells the operator what is coming.
    await waitFor(async () => ((await broker.fleet.get(w.ref))?.outboxDepth ?? 0) > 0, 10_000, 'backlog reported');
    expect((await broker.fleet.get(w.ref))!.oldestUnsyncedAgeS).toBeGreaterThan((CUT_MS / 1000) * 0.9);

    const r = await w.settleAndReconcile();
    expect(r).toEqual(exact(r));
    expect(r.impressions.recorded - inCloudBefore).toBeGreaterThan(20);
    console.log(`week cut: ${CUT_MS} ms refused (${refused} reconnects refused); backlog ${backlog}; ${r.doorEvents.generated} door events, ${r.impressions.recorded} impressions`);
  }, 120_000);
});
