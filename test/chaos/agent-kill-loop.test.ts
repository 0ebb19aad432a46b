// kill -9 the agent 10 times while doors are used and it syncs through a jittery proxy (which
// also resets the link at some kills). test/e2e/agent-kill.test.ts kills an agent with no cloud
// and counts door events; cloud-crash.test.ts kills one syncing a pre-filled outbox. Here both
// run at once, with real plays, and both ledgers reconcile: door events in the agent's store,
// impressions in the broker's.
import { prng } from '@doorcast/firmware-protocol/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/service-process.js';
import { exact, type Gate, startGate, type World } from './world.js';

const KILLS = 10;

describe('agent kill -9 loop through the proxy', () => {
  let g: Gate;
  let w: World;
  beforeAll(async () => {
    g = await startGate('gate-kill');
    w = g.world;
  }, 60_000);
  afterAll(() => g?.destroy(), 30_000);

  it(`${KILLS} kills mid-play and mid-sync: every door event and impression exactly once`, async () => {
    await w.startAgent();
    w.proxy.apply({ kind: 'delay', delay: { ms: 10, jitterMs: 100 } });
    w.startTraffic(80);
    const rand = prng(17);
    let unsyncedAtKill = 0;
    for (let k = 0; k < KILLS; k++) {
      // Up long enough to record a play, then killed at a random moment.
      const recorded = w.recorded();
      await waitFor(() => w.recorded() > recorded, 15_000, `run ${k} records a play`);
      await new Promise((r) => setTimeout(r, rand() * 1200));
      await w.agent.kill();
      if (w.outboxDepth() > 0) unsyncedAtKill++;
      if (k % 3 === 2) w.proxy.apply({ kind: 'drop' });
      await new Promise((r) => setTimeout(r, rand() * 300));
      w.agent.start();
    }
    const r = await w.settleAndReconcile();
    expect(r).toEqual(exact(r));
    expect(w.agent.starts).toBe(KILLS + 1);
    expect(r.doorEvents.generated).toBeGreaterThan(100);
    expect(r.impressions.recorded).toBeGreaterThan(KILLS);
    expect(w.emu.stats().dropped).toBe(0);
    console.log(`kill loop: ${KILLS} kills, ${unsyncedAtKill} with impressions not yet synced; ${r.doorEvents.generated} door events, ${r.impressions.recorded} impressions; retransmits ${w.emu.stats().retransmits}`);
  }, 120_000);
});
