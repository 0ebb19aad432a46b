// Network flaps between the agent and the broker, through the chaos proxy, while doors keep
// being used: first a black-hole (the link goes silent, nothing closes: only the agent's MQTT
// keepalive can notice), then delays with jitter, a reset, a clean cut and slow bytes. At the
// end every door event is in the agent's store once and every impression in the broker's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/service-process.js';
import { exact, type Gate, startGate, type World } from './world.js';

// mqtt.js pings after one keepalive (30 s, cloud-link.ts) with nothing received and gives up
// half a keepalive later.
const KEEPALIVE_DETECT_MS = 45_000;

describe('network flaps through the proxy', () => {
  let g: Gate;
  let w: World;
  beforeAll(async () => {
    g = await startGate('gate-flap');
    w = g.world;
  }, 60_000);
  afterAll(() => g?.destroy(), 30_000);

  it('black-hole, delays, reset, cut: every door event and impression exactly once', async () => {
    await w.startAgent();
    w.startTraffic(80);
    await new Promise((r) => setTimeout(r, 2000));

    // Black-hole: the open connection goes dark for good; new ones pass again after 3 s, but
    // the agent only reconnects once its keepalive gives up on the dark one.
    const t0 = Date.now();
    const reconnectsBefore = await w.agent.metric('doorcast_cloud_reconnects_total');
    w.proxy.apply({ kind: 'blackhole' });
    await new Promise((r) => setTimeout(r, 3000));
    w.proxy.apply({ kind: 'pass' });
    const acceptedBefore = w.proxy.stats.accepted;
    await waitFor(() => w.proxy.stats.accepted > acceptedBefore, KEEPALIVE_DETECT_MS + 10_000, 'agent reconnects after the black-hole');
    const detectedAfterMs = Date.now() - t0;
    expect(detectedAfterMs).toBeLessThan(KEEPALIVE_DETECT_MS + 10_000);
    expect(await w.agent.metric('doorcast_cloud_reconnects_total')).toBeGreaterThan(reconnectsBefore);
    expect(w.proxy.stats.swallowed).toBeGreaterThan(0);

    const done = await w.proxy.schedule([
      { afterMs: 0, kind: 'delay', delay: { ms: 20, jitterMs: 200 } },
      { afterMs: 2000, kind: 'drop' },
      { afterMs: 1500, kind: 'cut' },
      { afterMs: 1500, kind: 'delay', delay: { ms: 400, jitterMs: 800 } },
      { afterMs: 2500, kind: 'drop' },
      { afterMs: 0, kind: 'pass' },
    ]);
    expect(done).toBe(true);
    expect(w.proxy.stats.drops).toBeGreaterThanOrEqual(2);
    expect(w.proxy.stats.cuts).toBeGreaterThanOrEqual(1);

    const r = await w.settleAndReconcile();
    expect(r).toEqual(exact(r));
    expect(r.doorEvents.generated).toBeGreaterThan(400);
    expect(r.impressions.recorded).toBeGreaterThan(50);
    expect(w.agent.running).toBe(true);
    console.log(`network flaps: black-hole noticed after ${detectedAfterMs} ms; ${r.doorEvents.generated} door events, ${r.impressions.recorded} impressions; proxy ${JSON.stringify(w.proxy.stats)}`);
  }, 120_000);
});
