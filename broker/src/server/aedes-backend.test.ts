// Config selects the backend with no code change: embedded by default, Redis with cluster.redis,
// and a Redis that does not answer fails the start within its bound, with a typed error.
import type { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisService, startRedis } from '../../../test/support/redis.js';
import { freePort } from '../../../test/support/service-process.js';
import { parseConfig } from '../config/load.js';
import { silentLogger } from '../obs/log.js';
import { createAedes } from './aedes-backend.js';

describe('aedes backend from config', () => {
  let redis: RedisService;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.destroy();
  });

  it('an existing config (no cluster, no store key) stays embedded with SQLite', async () => {
    const config = parseConfig({ version: 1, stateDir: '/tmp/x' });
    expect(config.cluster).toBeUndefined();
    expect(config.store).toEqual({ kind: 'sqlite' });
    const b = await createAedes(config, { connectTimeout: 1000, log: silentLogger });
    expect(b.kind).toBe('embedded');
    await b.close();
  });

  it('cluster.redis selects Redis routing and persistence; close is idempotent', async () => {
    const config = parseConfig({ version: 1, stateDir: '/tmp/x', cluster: { redis: { url: redis.url } }, store: { kind: 'postgres', url: 'postgres://db/doorcast' } });
    expect(config.store).toEqual({ kind: 'postgres', url: 'postgres://db/doorcast', poolMax: 10, statementTimeoutMs: 30_000 });
    const b = await createAedes(config, { connectTimeout: 1000, log: silentLogger });
    expect(b.kind).toBe('redis');
    // A failed Redis call in aedes' own timers is logged, not thrown out of the process.
    expect(() => (b.aedes as unknown as EventEmitter).emit('error', new Error('redis went away'))).not.toThrow();
    await Promise.all([b.close(), b.close()]);
  });

  it('refuses bad URLs by path', () => {
    expect(() => parseConfig({ version: 1, stateDir: '/x', cluster: { redis: { url: 'http://r' } } })).toThrow(/cluster\.redis\.url: redis:\/\//);
    expect(() => parseConfig({ version: 1, stateDir: '/x', store: { kind: 'postgres', url: 'mysql://d' } })).toThrow(/store\.url: postgres:\/\//);
  });

  it('a Redis that is not there fails the start within the bound (ClusterError redis-unavailable)', async () => {
    const port = await freePort();
    const config = parseConfig({ version: 1, stateDir: '/tmp/x', cluster: { redis: { url: `redis://127.0.0.1:${port}` } } });
    const t0 = Date.now();
    await expect(createAedes(config, { connectTimeout: 1000, log: silentLogger, startTimeoutMs: 1500 })).rejects.toMatchObject({ name: 'ClusterError', code: 'redis-unavailable' });
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
