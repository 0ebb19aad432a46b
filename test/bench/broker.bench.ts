// Issue 5: the broker under load, as deployed (`doorcast-broker serve --config`, its own
// process), with the load in two separate load-generator processes of mqtt.js devices:
//  - idle: 5,000 devices connected as the agent connects, only keeping alive: connections
//    held, broker RSS and RSS per connection;
//  - ingest: 1,000 of them publishing 100-record impression batches concurrently, each waiting
//    for its application ack (sent after the SQLite commit) before the next: impressions/s
//    committed and acked, median of 3 windows, broker RSS;
//  - the raw QoS 1 publish path, bare aedes, the doorcast broker and Mosquitto side by side.
// Provisioning: see broker/provision.ts (bulk identities use a cheaper scrypt; a real sample
// measures what the production hash costs per connect).
// `npx tsx test/bench/run.ts broker`: ~4–5 min on 2 shared cores, 2/3 of it connecting the
// 5,000 devices (the broker's per-connect cost grows with the fleet: aedes-persistence scans
// every retained manifest per subscription). DOORCAST_BENCH_IDLE / _DEVICES / _WINDOW_S
// shrink it; DOORCAST_BENCH_BROKER_NODE_FLAGS passes flags (e.g. --cpu-prof) to the broker.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topicFor } from '@doorcast/firmware-protocol/cloud';
import { openSqliteStateDb } from '../../broker/src/db/database.js';
import {
  brokerDeviceConnections,
  brokerMetricSum,
  cpuSeconds,
  forkLoadGenerator,
  Procs,
  requireOpenFiles,
  rssMb,
  sleep,
  startBareAedes,
  startDoorcastBroker,
  startMosquitto,
} from './broker/processes.js';
import { BENCH_SCRYPT_N, provisionFleet } from './broker/provision.js';
import { rawPublish } from './broker/raw-publish.js';
import { all, failIfErrors, split, sum, untilTrue } from './broker/tallies.js';
import { type BenchResult, median, round } from './result.js';

const SITE = 'bench';
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const IDLE_DEVICES = env('DOORCAST_BENCH_IDLE', 5000);
const INGEST_DEVICES = Math.min(IDLE_DEVICES, env('DOORCAST_BENCH_DEVICES', 1000));
const REAL_SAMPLE = 40;
const RECORDS = 100;
const WINDOW_S = env('DOORCAST_BENCH_WINDOW_S', 6);
const WINDOWS = 3;
const RAW_PUBLISHERS = 20;
const RAW_WINDOW = 40;

export async function run(): Promise<BenchResult[]> {
  // The broker holds one fd per connection, each generator half of them; all inherit our limit.
  requireOpenFiles(IDLE_DEVICES, 'DOORCAST_BENCH_IDLE');
  const dir = mkdtempSync(join(tmpdir(), 'dc-bench-broker-'));
  const stateDir = join(dir, 'state');
  const procs = new Procs();
  const out: BenchResult[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    const stateDb = openSqliteStateDb(stateDir);
    const fleet = await provisionFleet(stateDb, SITE, IDLE_DEVICES, REAL_SAMPLE).finally(() => stateDb.close());
    out.push(
      { name: `provision ${IDLE_DEVICES} bench identities (scrypt N=${BENCH_SCRYPT_N})`, value: round(fleet.bulkSeconds, 1), unit: 's' },
      { name: `provision ${REAL_SAMPLE} real identities (addDevice, N=16384)`, value: round(fleet.realSeconds, 1), unit: 's', note: `${round((fleet.realSeconds * 1000) / REAL_SAMPLE, 0)} ms each, all in flight at once` },
    );
    const gens = await Promise.all([forkLoadGenerator(procs), forkLoadGenerator(procs)]);
    const broker = await startDoorcastBroker(procs, dir, stateDir);
    out.push({ name: `broker start with ${IDLE_DEVICES + REAL_SAMPLE} devices (manifests)`, value: round(broker.startSeconds, 1), unit: 's' });
    await sleep(1000);
    const rssStart = rssMb(broker.pid);

    // What a reconnect storm costs with production hashes: the sample, all at once.
    let t0 = performance.now();
    await gens[0]!.request({ op: 'connect', group: 'real', url: broker.url, devices: fleet.real, concurrency: REAL_SAMPLE }, 120_000);
    const realConnectS = (performance.now() - t0) / 1000;
    failIfErrors(await all(gens), 'real-identity connect');
    await gens[0]!.request({ op: 'trim', group: 'real', keep: 0 }, 60_000);
    out.push({
      name: `connect ${REAL_SAMPLE} real identities at once (N=16384 verify)`,
      value: round((realConnectS * 1000) / REAL_SAMPLE, 1),
      unit: 'ms/connect',
      note: `${round(realConnectS, 1)} s in all`,
    });

    // Idle: the whole fleet connected, keepalive only.
    t0 = performance.now();
    const cpu0 = cpuSeconds(broker.pid);
    const halves = split(fleet.bulk, gens.length);
    await Promise.all(gens.map((g, i) => g.request({ op: 'connect', group: 'fleet', url: broker.url, devices: halves[i]!, concurrency: 100 }, 240_000)));
    const connectS = (performance.now() - t0) / 1000;
    const connectCpuS = cpuSeconds(broker.pid) - cpu0;
    failIfErrors(await all(gens), 'fleet connect');
    await sleep(3000);
    const held = await brokerDeviceConnections(broker.httpPort);
    const rssIdle = rssMb(broker.pid);
    out.push(
      {
        name: `connect ${IDLE_DEVICES} devices (N=${BENCH_SCRYPT_N}), 100 in flight per generator`,
        value: round(connectS, 1),
        unit: 's',
        note: `${round((connectS * 1000) / IDLE_DEVICES, 1)} ms/connect; broker CPU ${round(connectCpuS, 1)} s`,
      },
      { name: 'idle device connections held by one broker process', value: held, unit: 'connections', note: `aim 5,000+; the broker's own gauge` },
      { name: 'broker RSS, idle fleet connected', value: round(rssIdle, 0), unit: 'MB', note: `${round(rssStart, 0)} MB before any connection` },
      { name: 'broker RSS per idle connection', value: round(((rssIdle - rssStart) * 1024) / Math.max(1, held), 1), unit: 'KiB' },
    );

    // Ingest: keep INGEST_DEVICES connected, each publishing with one batch in flight.
    const perGen = Math.ceil(INGEST_DEVICES / gens.length);
    await Promise.all(gens.map((g) => g.request({ op: 'trim', group: 'fleet', keep: perGen }, 120_000)));
    await untilTrue(async () => (await brokerDeviceConnections(broker.httpPort)) === perGen * gens.length, 30_000, 'trimmed fleet');
    const maxSeconds = WINDOWS * WINDOW_S + 120;
    await Promise.all(gens.map((g) => g.request({ op: 'ingest-start', group: 'fleet', count: perGen, records: RECORDS, maxSeconds }, 30_000)));
    let rssPeak = 0;
    sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(broker.pid))), 250);
    // Warm until as many batches are acked as devices ingest (the pipeline is full), then 1 s.
    await untilTrue(async () => sum(await all(gens), (c) => c.batches) >= perGen * gens.length, 60_000, 'first ack of every device');
    await sleep(1000);
    const rates: number[] = [];
    const cpuShares: { broker: number; load: number }[] = [];
    const cpuOf = () => ({ broker: cpuSeconds(broker.pid), load: gens.reduce((n, g) => n + cpuSeconds(g.pid), 0) });
    let before = sum(await all(gens), (c) => c.acked);
    let tw = performance.now();
    let cw = cpuOf();
    for (let w = 0; w < WINDOWS; w++) {
      await sleep(WINDOW_S * 1000);
      const now = sum(await all(gens), (c) => c.acked);
      const t = performance.now();
      const c = cpuOf();
      const seconds = (t - tw) / 1000;
      rates.push((now - before) / seconds);
      cpuShares.push({ broker: (c.broker - cw.broker) / seconds, load: (c.load - cw.load) / seconds });
      before = now;
      tw = t;
      cw = c;
    }
    clearInterval(sampler);
    const done = await Promise.all(gens.map((g) => g.request({ op: 'ingest-stop' }, 90_000))).then((rs) => rs.map((r) => r.counts));
    failIfErrors(done, 'ingest');
    const acked = sum(done, (c) => c.acked);
    const inserted = await brokerMetricSum(broker.httpPort, 'doorcast_broker_records_total', 'kind="impressions",result="inserted"');
    const timeouts = sum(done, (c) => c.ackTimeouts);
    const bad = sum(done, (c) => c.badAcks);
    // Every acked impression must be in the store: the figure counts only what was committed.
    if (inserted < acked || bad > 0) throw new Error(`ingest check: ${acked} acked, ${inserted} inserted, ${bad} bad acks`);
    out.push(
      {
        name: `ingest: ${perGen * gens.length} devices, ${RECORDS}-record batches, acked after commit`,
        value: round(median(rates), 0),
        unit: 'impressions/s',
        note: `median of ${WINDOWS} × ${WINDOW_S} s windows: ${rates.map((r) => round(r, 0)).join(', ')}; aim ≥ 20,000`,
      },
      {
        name: 'ingest: publish → committed ack per batch, p50',
        value: median(done.map((c) => c.ackLatency.p50)),
        unit: 'ms',
        note: `p99 ${Math.max(...done.map((c) => c.ackLatency.p99))} ms, max ${Math.max(...done.map((c) => c.ackLatency.max))} ms (every device one batch in flight)`,
      },
      { name: 'ingest: batches acked (whole run)', value: sum(done, (c) => c.batches), unit: 'batches', note: `${acked} impressions acked, ${inserted} inserted, ${timeouts} ack timeouts` },
      {
        name: 'ingest: broker CPU while ingesting',
        value: round(median(cpuShares.map((c) => c.broker)), 2),
        unit: 'cores',
        note: `load generators ${round(median(cpuShares.map((c) => c.load)), 2)} cores; 2 cores shared with other work`,
      },
      { name: 'ingest: impressions per broker CPU-second', value: round(median(rates.map((r, i) => r / cpuShares[i]!.broker)), 0), unit: 'impressions/cpu-s' },
      { name: 'broker RSS peak while ingesting', value: round(rssPeak, 0), unit: 'MB' },
    );
    await Promise.all(gens.map((g) => g.request({ op: 'trim', group: 'fleet', keep: 0 }, 60_000)));

    // Raw QoS 1 publish path, the same load against three brokers in the same run.
    const subscribers = fleet.real.slice(0, RAW_PUBLISHERS);
    const publishers = subscribers.map((_, i) => ({ username: fleet.operator.username, password: fleet.operator.password, clientId: `${fleet.operator.username}/p${i}` }));
    const [bare, mosquitto] = await Promise.all([startBareAedes(procs), startMosquitto(procs, dir, [...subscribers, fleet.operator])]);
    const raw = await rawPublish(
      gens[0]!,
      gens[1]!,
      [
        { name: 'aedes', url: bare.url, pid: bare.pid },
        { name: 'mosquitto', url: mosquitto.url, pid: mosquitto.pid },
        { name: 'doorcast', url: broker.url, pid: broker.pid },
      ],
      { publishers, subscribers, topics: subscribers.map((s) => topicFor('cmd', s)), window: RAW_WINDOW, payloadBytes: 256, warmupS: 1, windowS: 3, rounds: 3 },
    );
    const a = raw.get('aedes')!;
    const m = raw.get('mosquitto')!;
    const d = raw.get('doorcast')!;
    const load = `${RAW_PUBLISHERS} publishers × ${RAW_WINDOW} in flight → ${RAW_PUBLISHERS} subscribers, 256 B, median of 3 × 3 s`;
    const cores = (f: typeof a) => `broker ${round(f.brokerCores, 2)} cores, load generators ${round(f.loadCores, 2)}`;
    out.push(
      { name: 'raw QoS 1 publish: bare aedes (anonymous)', value: round(a.rate, 0), unit: 'msgs/s', note: `${load}; ${cores(a)}` },
      { name: 'raw QoS 1 publish: Mosquitto 2.0 (password file)', value: round(m.rate, 0), unit: 'msgs/s', note: cores(m) },
      { name: 'raw QoS 1 publish: doorcast broker (auth, ACL, operator cmd)', value: round(d.rate, 0), unit: 'msgs/s', note: cores(d) },
      { name: 'Mosquitto / bare aedes, msgs/s', value: round(m.rate / a.rate, 2), unit: '×' },
      { name: 'doorcast broker / bare aedes, msgs/s', value: round(d.rate / a.rate, 2), unit: '×' },
      { name: 'msgs per broker CPU-second: aedes', value: round(a.rate / a.brokerCores, 0), unit: 'msgs/cpu-s' },
      { name: 'msgs per broker CPU-second: Mosquitto', value: round(m.rate / m.brokerCores, 0), unit: 'msgs/cpu-s', note: `${round(m.rate / m.brokerCores / (a.rate / a.brokerCores), 1)} × aedes` },
      { name: 'msgs per broker CPU-second: doorcast broker', value: round(d.rate / d.brokerCores, 0), unit: 'msgs/cpu-s' },
    );
    return out;
  } finally {
    clearInterval(sampler);
    await procs.killAll();
    rmSync(dir, { recursive: true, force: true });
  }
}
