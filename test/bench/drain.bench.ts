// Issue 5: a 200,000-impression backlog drained by a real `doorcast run` process (the bundle,
// with the systemd unit's heap flags) into the broker on loopback: time until the outbox is
// empty with every batch acked after the cloud's commit, and the agent's peak RSS.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { initKeyFile } from '../../agent/src/identity/keys.js';
import { Store } from '../../agent/src/store/index.js';
import { play, stamp } from '../../agent/src/store/testing.js';
import { startTestBroker } from '../../broker/src/testing.js';
import { NODE_FLAGS } from './ingest.bench.js';
import { type BenchResult, round } from './result.js';

const BIN = fileURLToPath(new URL('../../agent/bin/doorcast.js', import.meta.url));
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const N = Number(process.env.DOORCAST_BENCH_DRAIN ?? 200_000);

export async function run(): Promise<BenchResult[]> {
  const broker = await startTestBroker();
  const dir = mkdtempSync(join(tmpdir(), 'dc-bench-drain-'));
  mkdirSync(join(dir, 'state'));
  const db = join(dir, 'state', 'agent.db');
  let agent: ChildProcess | undefined;
  try {
    writeFileSync(join(dir, 'credentials.json'), JSON.stringify(await broker.addDevice('bench', 'gate-1')), { mode: 0o600 });
    initKeyFile(join(dir, 'keys.json'));
    const store = new Store({ path: db, budget: { maxDoorEvents: 100_000, maxBytes: 2 ** 32 } });
    const t = Date.now() - 7 * 86_400_000;
    store.transaction(() => {
      for (let i = 0; i < N; i++) store.recordPlay(play({ pseudonym: null }), stamp({ wallMs: t + i * 3000, monoMs: i }));
    });
    store.close();
    writeFileSync(
      join(dir, 'agent.yaml'),
      `version: 1\ndevice: { id: gate-1, site: bench }\nstateDir: ${dir}/state\nkeyFile: ${dir}/keys.json\nsite: { timezone: UTC }\nsources: [{ kind: tcp, name: main, host: 127.0.0.1, port: 1 }]\ndoors: [{ id: east, source: main, controllerDoor: 1 }]\nmetrics: { enabled: false }\nclock: { sync: assume-synced }\nlog: { level: warn }\ncloud: { credentialsFile: ${dir}/credentials.json }\n`,
    );
    const check = new Database(db, { readonly: true });
    const depth = check.prepare('SELECT count(*) FROM impressions_outbox').pluck();
    const t0 = process.hrtime.bigint();
    agent = spawn(process.execPath, [...NODE_FLAGS, BIN, 'run', '-c', join(dir, 'agent.yaml')], { stdio: 'ignore' });
    let peak = 0;
    const deadline = Date.now() + 180_000;
    while ((depth.get() as number) > 0) {
      if (Date.now() > deadline) throw new Error(`outbox still holds ${depth.get()} after 180 s`);
      peak = Math.max(peak, rssMb(agent.pid!));
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    check.close();
    const stored = await broker.store.countImpressions({ site: 'bench', device: 'gate-1' });
    if (stored !== N) throw new Error(`cloud holds ${stored}, expected ${N}`);
    return [
      { name: `backlog drain, ${N.toLocaleString('en')} impressions (start → outbox empty)`, value: round(seconds, 1), unit: 's', note: 'aim ≤ 60; defaults: 500/batch, 4 in flight' },
      { name: 'drain rate', value: round(N / seconds, 0), unit: 'impressions/s' },
      { name: 'agent RSS peak while draining', value: round(peak, 1), unit: 'MB', note: 'aim ≤ 150' },
    ];
  } finally {
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent!.once('exit', r));
    }
    await broker.destroy();
  }
}
