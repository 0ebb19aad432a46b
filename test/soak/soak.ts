// The soak run (npm run test:soak [-- --minutes 10 --devices 500]): a broker process on
// SQLite, 500 simulated devices (sim-devices.ts) and one real agent process with a controller
// emulator and real plays, through the chaos proxy, for N minutes of accelerated traffic.
// RSS and heap of the broker and the agent are sampled every 10 s and held to the bound in
// memory.ts; the agent's door events and impressions are reconciled exactly at the end.
// Prints PASS or FAIL with the figures; exit code 0 only on PASS.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openSqliteStateDb } from '../../broker/src/db/database.js';
import type { ImpressionStore } from '../../broker/src/store/impression-store.js';
import { SqliteImpressionStore } from '../../broker/src/store/sqlite-impression-store.js';
import { startTestBroker } from '../../broker/src/testing.js';
import { provisionFleet } from '../bench/broker/provision.js';
import { BrokerProcess } from '../chaos/broker-process.js';
import { type Cloud, exact, SITE, World } from '../chaos/world.js';
import setupBuild from '../support/global-setup.js';
import { freePort } from '../support/service-process.js';
import { describeVerdict, judge, type Sample, sample } from './memory.js';
import { SimFleet } from './sim-devices.js';

const { values: opt } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    devices: { type: 'string', default: '500' },
    /** Impressions per simulated batch and the pause between a device's batches. */
    records: { type: 'string', default: '5' },
    'every-ms': { type: 'string', default: '5000' },
    'sample-s': { type: 'string', default: '10' },
  },
});
const MINUTES = Number(opt.minutes);
const DEVICES = Number(opt.devices);
const SAMPLE_S = Number(opt['sample-s']);
if (!(MINUTES > 0 && MINUTES <= 240 && DEVICES >= 1 && DEVICES <= 5000)) throw new TypeError('--minutes 0–240 and --devices 1–5000');
const WARMUP_S = Math.min(120, MINUTES * 60 * 0.2);
const MEM_REPORT = fileURLToPath(new URL('./mem-report.mjs', import.meta.url));
const out = (s: string) => process.stdout.write(`${s}\n`);
const mb = (b: number) => (b / 2 ** 20).toFixed(1);

async function main(): Promise<boolean> {
  setupBuild();
  const dir = mkdtempSync(join(tmpdir(), 'dc-soak-'));
  const stateDir = join(dir, 'cloud');
  const mqttPort = await freePort();
  // Provision in this process (the device, its campaign and creative), then hand the state dir
  // to the broker process: the bundle's HTTP URL names this broker's port, which the process takes over.
  const setup = await startTestBroker({ stateDir });
  const cloud: Cloud = { mqttPort, provision: setup, store: setup.store };
  const agentMem = join(dir, 'agent-mem.json');
  const world = await World.start({
    device: 'soak-agent',
    cloud,
    link: { batchRecords: 50, maxInFlight: 4, ackTimeoutMs: 10_000, flushIntervalMs: 500, stateIntervalMs: 30_000 },
    // The systemd unit's heap flags (deploy/), as the ingest bench runs it.
    agentProcess: { env: { SOAK_MEM_FILE: agentMem }, nodeArgs: ['--import', MEM_REPORT, '--max-semi-space-size=2', '--max-old-space-size=96'] },
  });
  const httpPort = setup.httpPort;
  await setup.stop();
  const stateDb = openSqliteStateDb(stateDir);
  const fleet = await provisionFleet(stateDb, SITE, DEVICES, 0).finally(() => stateDb.close());
  out(`soak: ${DEVICES} simulated devices provisioned in ${fleet.bulkSeconds.toFixed(1)} s (scrypt N=256); ${MINUTES} min, sample every ${SAMPLE_S} s, warm-up ${WARMUP_S} s; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);

  const brokerMem = join(dir, 'broker-mem.json');
  const broker = await BrokerProcess.start(
    dir,
    'soak-broker',
    { stateDir, mqtt: { tcp: { host: '127.0.0.1', port: mqttPort } }, http: { host: '127.0.0.1', port: httpPort, metrics: 'public' } },
    { SOAK_MEM_FILE: brokerMem, NODE_OPTIONS: `--import ${MEM_REPORT}` },
  );
  const sims = new SimFleet({ url: `mqtt://127.0.0.1:${mqttPort}`, creds: fleet.bulk, records: Number(opt.records), everyMs: Number(opt['every-ms']), stateEveryMs: 60_000, churn: { everyMs: 10_000, devices: Math.max(1, Math.round(DEVICES / 50)) } });
  const series: Record<'broker' | 'agent', Sample[]> = { broker: [], agent: [] };
  let ok = false;
  try {
    await world.startAgent(60_000);
    world.startTraffic(100);
    const t0 = Date.now();
    await sims.connect();
    out(`soak: ${sims.counts.connected} of ${DEVICES} connected in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    sims.start();
    const start = Date.now();
    const end = start + MINUTES * 60_000;
    for (let i = 0; Date.now() < end && i < 100_000; i++) {
      await new Promise((r) => setTimeout(r, Math.min(SAMPLE_S * 1000, Math.max(0, end - Date.now()))));
      const t = (Date.now() - start) / 1000;
      const b = sample(broker.pid, brokerMem, t);
      const a = sample(world.agent.pid, agentMem, t);
      if (b) series.broker.push(b);
      if (a) series.agent.push(a);
      const c = sims.counts;
      out(`t=${t.toFixed(0)}s broker rss ${b ? mb(b.rss) : '-'} MB heap ${b ? mb(b.heapUsed) : '-'} MB | agent rss ${a ? mb(a.rss) : '-'} MB heap ${a ? mb(a.heapUsed) : '-'} MB | sims connected ${c.connected} acked ${c.acked} resends ${c.resends} reconnects ${c.reconnects} errors ${c.errors} | agent events ${world.emu.acked.size} outbox ${world.outboxDepth()}`);
      if (!broker.running || !world.agent.running) throw new Error(`${broker.running ? 'agent' : 'broker'} exited during the soak`);
    }
    await sims.stop();
    world.stopTraffic();
    // The agent's own ledger against the broker's store: exact, as in the chaos suite.
    cloud.store = new SqliteImpressionStore(join(stateDir, 'impressions.sqlite')) as ImpressionStore;
    const r = await world.settleAndReconcile(120_000);
    const exactOk = JSON.stringify(r) === JSON.stringify(exact(r));
    const verdicts = [judge('broker', series.broker, WARMUP_S), judge('agent', series.agent, WARMUP_S)];
    const c = sims.counts;
    out(`soak: simulated devices: ${c.acked} impressions acked in ${c.batches} batches (${(c.acked / (MINUTES * 60)).toFixed(0)}/s), ${c.resends} resends, ${c.reconnects} reconnects, ${c.errors} errors${c.lastError ? ` (last: ${c.lastError})` : ''}`);
    out(`soak: agent: ${r.doorEvents.generated} door events, ${r.impressions.recorded} impressions; reconciliation ${exactOk ? 'exact' : `NOT exact: ${JSON.stringify(r)}`}`);
    for (const v of verdicts) out(describeVerdict(v));
    ok = exactOk && verdicts.every((v) => v.pass) && c.errors === 0;
    out(ok ? 'PASS' : 'FAIL');
    await cloud.store.close();
  } finally {
    await sims.stop().catch(() => undefined);
    await world.destroy();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return ok;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (err: Error) => {
    out(`FAIL: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
