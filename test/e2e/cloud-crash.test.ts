// DESIGN.md rule 4 for the cloud link: kill -9 the agent 20 times while it syncs, and the
// broker 10 times while it ingests; every impression ends in the cloud store exactly once
// and the outbox empties.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from '@doorcast/firmware-protocol/emulator';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Clock } from '../../agent/src/clock/clock.js';
import { initKeyFile } from '../../agent/src/identity/keys.js';
import { silentLogger } from '../../agent/src/obs/log.js';
import { Registry } from '../../agent/src/obs/metrics.js';
import { Store } from '../../agent/src/store/index.js';
import { play, stamp } from '../../agent/src/store/testing.js';
import { startCloud } from '../../agent/src/sync/cloud.js';
import { startTestBroker, until } from '../../broker/src/testing.js';

const AGENT = fileURLToPath(new URL('../../agent/bin/doorcast.js', import.meta.url));
const BROKER = fileURLToPath(new URL('../../broker/bin/doorcast-broker.js', import.meta.url));
const ref = { site: 'maple', device: 'gate-1' };
const BUDGET = { maxDoorEvents: 100_000, maxBytes: 2 ** 30 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fill(path: string, n: number, from: number): void {
  const s = new Store({ path, budget: BUDGET });
  try {
    s.transaction(() => {
      for (let i = 0; i < n; i++) s.recordPlay(play(), stamp({ monoMs: from + i }));
    });
  } finally {
    s.close();
  }
}

function outboxDepth(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM impressions_outbox').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Rows in the cloud store, and distinct impression ids among them (the key is (device, seq)). */
function cloudCounts(path: string): { n: number; ids: number } {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT count(*) AS n, count(DISTINCT impression_id) AS ids FROM impressions').get() as { n: number; ids: number };
  } finally {
    db.close();
  }
}

async function kill(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
}

describe('cloud link crash loops', () => {
  it('kill -9 the agent 20 times during sync: exactly once in the cloud', async () => {
    const broker = await startTestBroker();
    const dir = mkdtempSync(join(tmpdir(), 'dc-sync-kill-'));
    const db = join(dir, 'state', 'agent.db');
    mkdirSync(join(dir, 'state'));
    try {
      writeFileSync(join(dir, 'credentials.json'), JSON.stringify(await broker.addDevice(ref.site, ref.device)), { mode: 0o600 });
      initKeyFile(join(dir, 'keys.json'));
      const config = join(dir, 'agent.yaml');
      // The door source points at a closed port: it just keeps retrying, as at a gate whose
      // controller is off. Small batches and one in flight, so kills land mid-sync.
      writeFileSync(
        config,
        `version: 1
device: { id: ${ref.device}, site: ${ref.site} }
stateDir: ${dir}/state
keyFile: ${dir}/keys.json
site: { timezone: UTC }
sources: [{ kind: tcp, name: main, host: 127.0.0.1, port: 1 }]
doors: [{ id: east, source: main, controllerDoor: 1 }]
metrics: { enabled: false }
clock: { sync: assume-synced }
cloud: { credentialsFile: ${dir}/credentials.json, batchRecords: 50, maxInFlight: 1, flushIntervalMs: 50, backoff: { baseMs: 50, capMs: 200 } }
`,
      );
      const start = () => spawn(process.execPath, [AGENT, 'run', '-c', config], { stdio: 'ignore', env: { ...process.env, DOORCAST_LOG_LEVEL: 'warn' } });
      execFileSync(process.execPath, [AGENT, 'config', '-c', config], { stdio: 'ignore' });
      const rand = prng(5);
      let total = 0;
      for (let k = 0; k < 20; k++) {
        fill(db, 400, k * 1000);
        total += 400;
        const before = outboxDepth(db);
        const agent = start();
        // Kill it mid-sync: once this run has had some batch acked (or after 8 s on a loaded
        // machine), at a random moment after that.
        const deadline = Date.now() + 8000;
        while (outboxDepth(db) >= before && Date.now() < deadline) await sleep(20);
        await sleep(rand() * 200);
        await kill(agent);
      }
      // The kills landed while it was syncing: part of the backlog went up during the loop.
      expect(outboxDepth(db)).toBeLessThan(total);
      const last = start();
      try {
        await until(() => outboxDepth(db) === 0, 60_000, 'outbox drained');
      } finally {
        last.kill('SIGTERM');
        await new Promise((r) => last.once('exit', r));
      }
      expect(cloudCounts(join(broker.stateDir, 'impressions.sqlite'))).toEqual({ n: total, ids: total });
    } finally {
      await broker.destroy();
    }
  }, 180_000);

  it('kill -9 the broker 10 times during ingest: exactly once in the cloud', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-broker-kill-'));
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));
    const config = join(dir, 'broker.yaml');
    writeFileSync(config, `version: 1\nstateDir: ${dir}/state\nmqtt: { tcp: { host: 127.0.0.1, port: ${port} } }\nhttp: { host: 127.0.0.1, port: 0 }\n`);
    const cred = join(dir, 'credentials.json');
    execFileSync(process.execPath, [BROKER, 'device', 'add', '--config', config, '--site', ref.site, '--device', ref.device, '--out', cred], { stdio: 'ignore' });
    const startBroker = () => spawn(process.execPath, [BROKER, 'serve', '--config', config], { stdio: 'ignore' });

    const store = new Store({ path: join(dir, 'agent.db'), budget: BUDGET });
    const total = 20_000;
    store.transaction(() => {
      for (let i = 0; i < total; i++) store.recordPlay(play(), stamp({ monoMs: i }));
    });
    const cloud = startCloud(
      { credentialsFile: cred, protocolVersion: 4, batchRecords: 100, maxInFlight: 2, ackTimeoutMs: 2000, flushIntervalMs: 50, stateIntervalMs: 60_000, backoff: { baseMs: 50, capMs: 300 } },
      { outbox: store.outbox, cache: store.state, clock: new Clock({ sync: 'assume-synced' }), log: silentLogger, registry: new Registry() },
    );
    const rand = prng(11);
    let broker = startBroker();
    try {
      for (let k = 0; k < 10; k++) {
        // Wait until this broker has taken some of the backlog, then kill it at a random moment.
        const before = store.outbox.depth();
        await until(() => store.outbox.depth() < before || store.outbox.depth() === 0, 30_000, `broker ${k} ingesting`);
        await sleep(rand() * 300);
        await kill(broker);
        broker = startBroker();
      }
      await until(() => store.outbox.depth() === 0, 60_000, 'outbox drained');
    } finally {
      await cloud.stop();
      await kill(broker);
      store.close();
    }
    expect(cloudCounts(join(dir, 'state', 'impressions.sqlite'))).toEqual({ n: total, ids: total });
  }, 180_000);
});
