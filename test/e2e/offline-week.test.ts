// A week offline: the broker is unreachable while 50,000 plays pile up (stamped across seven
// days), then it comes back. The device reports the backlog and its age, drains it oldest
// first, and the cloud ends with every impression exactly once and the outbox empty.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Clock } from '../../agent/src/clock/clock.js';
import { silentLogger } from '../../agent/src/obs/log.js';
import { Registry } from '../../agent/src/obs/metrics.js';
import { openStore, play, stamp, tempDir } from '../../agent/src/store/testing.js';
import { startCloud } from '../../agent/src/sync/cloud.js';
import { startTestBroker, type TestBroker, until } from '../../broker/src/testing.js';

const ref = { site: 'maple', device: 'gate-1' };
const WEEK = 7 * 24 * 3600 * 1000;
const N = 50_000;

describe('a week offline', () => {
  it('drains a 50,000-impression backlog exactly once when the broker returns', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));

    // Provision against the broker's state, then take the broker away.
    const setup = await startTestBroker({ mqtt: { tcp: { host: '127.0.0.1', port } } });
    const cred = join(tempDir('dc-week-'), 'credentials.json');
    writeFileSync(cred, JSON.stringify(await setup.addDevice(ref.site, ref.device)), { mode: 0o600 });
    const stateDir = setup.stateDir;
    await setup.stop();

    const store = openStore();
    const cloud = startCloud(
      { credentialsFile: cred, protocolVersion: 4, batchRecords: 500, maxInFlight: 4, ackTimeoutMs: 30_000, flushIntervalMs: 100, stateIntervalMs: 60_000, backoff: { baseMs: 50, capMs: 200 } },
      { outbox: store.outbox, cache: store.state, clock: new Clock({ sync: 'assume-synced' }), log: silentLogger, registry: new Registry() },
    );
    let broker: TestBroker | undefined;
    try {
      const start = Date.now() - WEEK;
      store.transaction(() => {
        for (let i = 0; i < N; i++) store.recordPlay(play(), stamp({ wallMs: start + Math.floor((i * WEEK) / N), monoMs: i }));
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(cloud.link.connected).toBe(false);
      expect(store.outbox.depth()).toBe(N);

      broker = await startTestBroker({ stateDir, mqtt: { tcp: { host: '127.0.0.1', port } } });
      // The first state message after reconnecting tells the operator what is coming.
      await until(async () => ((await broker!.fleet.get(ref))?.outboxDepth ?? 0) > 0, 10_000, 'backlog reported');
      const reported = (await broker.fleet.get(ref))!;
      expect(reported.oldestUnsyncedAgeS).toBeGreaterThan((WEEK / 1000) * 0.99);

      await until(() => store.outbox.depth() === 0, 120_000, 'backlog drained');
      expect(await broker.store.countImpressions(ref)).toBe(N);
      cloud.link.publishState();
      await until(async () => (await broker!.fleet.get(ref))?.outboxDepth === 0, 5000, 'empty outbox reported');
    } finally {
      await cloud.stop();
      await broker?.destroy();
    }
  }, 180_000);
});
