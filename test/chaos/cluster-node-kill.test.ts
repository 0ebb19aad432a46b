// Two broker nodes on a private Redis and PostgreSQL, the chaos proxy as their balancer. Node A
// (its own process) is killed with SIGKILL while two real agents are connected to it and
// syncing; the balancer then sends new connections to node B, the agents reconnect there and
// carry on. Every impression each agent recorded is in PostgreSQL exactly once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../broker/src/testing.js';
import { type PostgresService, startPostgres } from '../support/postgres.js';
import { type RedisService, startRedis } from '../support/redis.js';
import { waitFor } from '../support/service-process.js';
import { BrokerProcess } from './broker-process.js';
import { pgCounts } from './pg-counts.js';
import { ChaosProxy } from './proxy.js';
import { exact, World } from './world.js';

describe('cluster: node A killed while devices are connected', () => {
  let redis: RedisService;
  let pg: PostgresService;
  let pgUrl: string;
  let proxy: ChaosProxy;
  let a: BrokerProcess;
  let b: TestBroker;
  const worlds: World[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'dc-chaos-node-kill-'));
  beforeAll(async () => {
    [redis, pg, proxy] = await Promise.all([startRedis(), startPostgres(), ChaosProxy.start({ port: 1 })]);
    pgUrl = await pg.createDatabase('doorcast');
    // Each node its own state dir, as on separate hosts: they share only Redis and PostgreSQL.
    const shared = {
      cluster: { redis: { url: redis.url } },
      store: { kind: 'postgres' as const, url: pgUrl, poolMax: 4 },
      publicUrls: { mqtt: proxy.url() },
      manifest: { refreshIntervalMs: 600_000 },
    };
    // B first, in this process: it creates the shared signing key and provisions the devices.
    b = await startTestBroker({ ...shared, stateDir: join(dir, 'cloud-b') });
    a = await BrokerProcess.start(dir, 'node-a', { ...shared, stateDir: join(dir, 'cloud-a') });
    proxy.apply({ kind: 'target', target: { port: a.mqttPort } });
    for (const device of ['gate-n1', 'gate-n2']) worlds.push(await World.start({ device, proxy, cloud: { mqttPort: a.mqttPort, provision: b, store: b.store } }));
  }, 90_000);
  afterAll(async () => {
    for (const w of worlds) await w.destroy();
    await proxy?.close();
    await a?.stop('SIGKILL');
    await b?.destroy();
    await Promise.allSettled([redis?.destroy(), pg?.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('devices move from A to B through the balancer; exactly once in PostgreSQL', async () => {
    await Promise.all(worlds.map((w) => w.startAgent()));
    for (const w of worlds) w.startTraffic(120);
    await waitFor(async () => (await Promise.all(worlds.map((w) => b.store.countImpressions(w.ref)))).every((n) => n >= 5), 30_000, 'impressions committed via node A');
    expect(proxy.connections.every((c) => c.target.port === a.mqttPort)).toBe(true);
    expect(proxy.connections.length).toBeGreaterThanOrEqual(worlds.length);

    await a.stop('SIGKILL');
    // The balancer's health check takes a moment: reconnects meanwhile find no backend.
    await new Promise((r) => setTimeout(r, 1500));
    proxy.apply({ kind: 'target', target: { port: b.mqttPort! } });
    await waitFor(() => proxy.connections.filter((c) => c.target.port === b.mqttPort).length >= worlds.length, 20_000, 'agents reconnected to node B');
    const committedAtKill = await Promise.all(worlds.map((w) => b.store.countImpressions(w.ref)));
    await waitFor(async () => (await Promise.all(worlds.map((w, i) => b.store.countImpressions(w.ref).then((n) => n > committedAtKill[i]! + 5)))).every(Boolean), 30_000, 'impressions committed via node B');

    for (const w of worlds) {
      const r = await w.settleAndReconcile();
      expect(r).toEqual(exact(r));
      expect(await pgCounts(pgUrl, w.ref)).toEqual({ n: r.impressions.recorded, ids: r.impressions.recorded, lo: 1, hi: r.impressions.recorded, keys: r.impressions.recorded });
      console.log(`node kill: ${w.ref.device}: ${r.doorEvents.generated} door events, ${r.impressions.recorded} impressions; proxy ${JSON.stringify(proxy.stats)}`);
    }
    expect(proxy.stats.upstreamFailures).toBeGreaterThan(0);
  }, 120_000);
});
