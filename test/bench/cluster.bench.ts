// Issue 5, the clustered broker (deploy/cloud): 1, 2 and 3 `doorcast-broker serve` nodes, each
// its own process with a state dir of its own, on one private Redis (routing, sessions) and
// PostgreSQL 15 (impressions and the broker state: identities, fleet, manifests), beside the
// embedded node (SQLite, no Redis) in the same run. Load: the broker bench's forked generators
// (test/bench/broker/), the devices provisioned with cheap scrypt and spread round robin over
// the nodes, as the balancer spreads them.
//  - idle: IDLE devices on one node, embedded and clustered: connections held, RSS per connection;
//  - ingest: DEVICES devices, 100-record impression batches, one in flight each, acked after the
//    commit: impressions/s, CPU per node and per impression, and exactly once against the rows
//    in PostgreSQL (a fresh Redis and database per node count);
//  - latency: PACED devices each sending a 1-record batch (one play) every second, publish →
//    application ack, timed in the load device (the agent does not time outbox → ack);
//  - the raw QoS 1 publish workload of broker/raw-publish.ts, with the clustered node added, its
//    subscribers on the same node and on the other node.
// `npx tsx test/bench/run.ts cluster`: ~5 min on 2 shared cores. DOORCAST_BENCH_CLUSTER_IDLE,
// _DEVICES, _WINDOW_S, _RAW_ROUNDS and _NODES (e.g. 1,3) shrink it, _POOL sets poolMax;
// DOORCAST_BENCH_BROKER_NODE_FLAGS (e.g. --cpu-prof) reaches every node.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topicFor } from '@doorcast/firmware-protocol/cloud';
import { openSqliteStateDb } from '../../broker/src/db/database.js';
import { PostgresStateDb } from '../../broker/src/db/postgres-state-db.js';
import { brokerMetricSum, type DoorcastBroker, forkLoadGenerator, Procs, requireOpenFiles, startBareAedes, startDoorcastBroker, startMosquitto } from './broker/processes.js';
import { BENCH_SCRYPT_N, copyIdentities, provisionFleet } from './broker/provision.js';
import { type RawFigure, rawPublish } from './broker/raw-publish.js';
import { connectSpread, disconnectAll, type IdleFigure, type IngestFigure, idleOnOneNode, type PacedFigure, paced, type Setup, saturate, trimTo } from './cluster/phase.js';
import { postmasterPid, processTree, redisPid, startPostgres, startRedis, storedRows } from './cluster/services.js';
import { type BenchResult, round } from './result.js';

const SITE = 'bench';
const env = (name: string, fallback: number) => Number(process.env[`DOORCAST_BENCH_CLUSTER_${name}`] ?? fallback);
const IDLE = env('IDLE', 2000);
const DEVICES = Math.min(IDLE, env('DEVICES', 500));
const WINDOW_S = env('WINDOW_S', 5);
const WINDOWS = 3;
const RECORDS = 100;
const PACED = { devices: Math.min(DEVICES, 200), records: 1, intervalMs: 1000, seconds: 8 };
const NODE_COUNTS = (process.env.DOORCAST_BENCH_CLUSTER_NODES ?? '1,2,3').split(',').map(Number);
/** The raw publish comparison runs while this many nodes are up (nodes A and B). */
const RAW_AT = 2;
const RAW_PUBLISHERS = 20;
const RAW_WINDOW = 40;
const RAW_ROUNDS = env('RAW_ROUNDS', 3);
/** PostgreSQL connections per node (the schema's default). */
const POOL = env('POOL', 10);

interface Measured {
  label: string;
  ingest: IngestFigure;
  paced: PacedFigure;
  /** Rows as the store holds them: PostgreSQL rows (clustered) or the inserted counter (embedded). */
  stored: { rows: number; keys: number };
}

function checkExactlyOnce(m: Measured): void {
  const acked = m.ingest.acked + m.paced.acked;
  const timeouts = m.ingest.timeouts + m.paced.timeouts;
  const ok = m.stored.rows === m.stored.keys && m.ingest.badAcks === 0 && (timeouts === 0 ? m.stored.rows === acked : m.stored.rows >= acked);
  if (!ok) throw new Error(`${m.label}: ${acked} acked, ${m.stored.rows} rows, ${m.stored.keys} distinct, ${timeouts} timeouts, ${m.ingest.badAcks} bad acks`);
}

const r0 = (x: number) => round(x, 0);
const cores = (xs: number[]) => xs.map((x) => round(x, 2)).join(' + ');

function ingestResults(m: Measured, services: string[], embedded?: IngestFigure): BenchResult[] {
  const i = m.ingest;
  return [
    {
      name: `ingest ${m.label}: impressions/s acked`,
      value: r0(i.rate),
      unit: 'impressions/s',
      note: `${WINDOWS} × ${WINDOW_S} s: ${i.rates.map(r0).join(', ')}${embedded ? `; ${round(i.rate / embedded.rate, 2)} × embedded` : ''}`,
    },
    {
      name: `ingest ${m.label}: broker cores per node`,
      value: round(i.nodeCores.reduce((a, b) => a + b, 0), 2),
      unit: 'cores',
      note: `nodes ${cores(i.nodeCores)}; ${services.map((x, k) => `${x} ${round(i.serviceCores[k]!, 2)}`).join(', ') || 'no services'}; load generators ${round(i.loadCores, 2)}`,
    },
    {
      name: `ingest ${m.label}: CPU per impression`,
      value: round(i.nodeUsPerImpression, 1),
      unit: 'µs (nodes)',
      note: `${services.length ? `${round(i.totalUsPerImpression, 1)} µs with ${services.join(' + ')}` : 'no Redis or PostgreSQL'}; ${r0(i.perNodeCpuS)} impressions per node CPU-second`,
    },
    { name: `ingest ${m.label}: publish → ack at saturation, p50`, value: i.latency.p50, unit: 'ms', note: `p99 ${i.latency.p99} ms, max ${i.latency.max} ms` },
    {
      name: `ingest ${m.label}: exactly once`,
      value: i.acked + m.paced.acked,
      unit: 'acked',
      note: `${m.stored.rows} rows, ${m.stored.keys} distinct, ${i.timeouts + m.paced.timeouts} ack timeouts; node RSS peak ${i.rssPeakMb.map(r0).join(' / ')} MB`,
    },
    {
      name: `latency ${m.label}: play → ack, p50 (load device, ${PACED.devices} × 1/s)`,
      value: m.paced.latency.p50,
      unit: 'ms',
      note: `p99 ${m.paced.latency.p99} ms, max ${m.paced.latency.max} ms, ${m.paced.latency.n} batches, ${r0(m.paced.rate)} impressions/s`,
    },
  ];
}

function idleResults(label: string, f: IdleFigure): BenchResult[] {
  return [
    { name: `idle ${label}: connect ${IDLE} devices, 100 in flight per generator`, value: round(f.connectS, 1), unit: 's', note: `${round((f.connectS * 1000) / IDLE, 1)} ms/connect; node CPU ${round(f.connectCpuS, 1)} s` },
    { name: `idle ${label}: connections held by the node`, value: f.held, unit: 'connections', note: 'its doorcast_broker_connected_clients' },
    { name: `idle ${label}: RSS per connection`, value: round(f.kibPerConnection, 1), unit: 'KiB', note: `${r0(f.rssBeforeMb)} → ${r0(f.rssIdleMb)} MB` },
  ];
}

export async function run(): Promise<BenchResult[]> {
  requireOpenFiles(IDLE, 'DOORCAST_BENCH_CLUSTER_IDLE');
  const dir = mkdtempSync(join(tmpdir(), 'dc-bench-cluster-'));
  const stateDir = join(dir, 'state');
  const procs = new Procs();
  // Ctrl-C or a kill: exit, so every 'exit' handler (Procs, Redis, PostgreSQL) kills its server.
  const onSignal = () => process.exit(130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const pgService = await startPostgres();
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  const out: BenchResult[] = [];
  const stateDb = openSqliteStateDb(stateDir);
  try {
    const fleet = await provisionFleet(stateDb, SITE, IDLE, 0);
    out.push({ name: `provision ${IDLE} bench identities (scrypt N=${BENCH_SCRYPT_N})`, value: round(fleet.bulkSeconds, 1), unit: 's' });
    const gens = await Promise.all([forkLoadGenerator(procs), forkLoadGenerator(procs)]);
    const ingest = { records: RECORDS, windows: WINDOWS, windowS: WINDOW_S };

    // The embedded baseline: one node, SQLite, no Redis. It stays up (idle) for the raw comparison.
    const embedded = await startDoorcastBroker(procs, dir, stateDir, { name: 'embedded' });
    const embSetup: Setup = { nodes: [embedded], services: [] };
    const embIdle = await idleOnOneNode(gens, embedded, fleet.bulk, 100);
    await trimTo(gens, embSetup, DEVICES);
    const embIngest = await saturate(gens, embSetup, ingest);
    const embPaced = await paced(gens, PACED);
    const inserted = await brokerMetricSum(embedded.httpPort, 'doorcast_broker_records_total', 'kind="impressions",result="inserted"');
    const emb: Measured = { label: 'embedded (SQLite)', ingest: embIngest, paced: embPaced, stored: { rows: inserted, keys: inserted } };
    checkExactlyOnce(emb);
    await disconnectAll(gens, embSetup);
    out.push(...idleResults('embedded', embIdle), ...ingestResults(emb, []));

    let raw: Map<string, RawFigure> | undefined;
    const rawLoad = (() => {
      const subscribers = fleet.bulk.slice(0, RAW_PUBLISHERS);
      const publishers = subscribers.map((_, i) => ({ username: fleet.operator.username, password: fleet.operator.password, clientId: `${fleet.operator.username}/p${i}` }));
      return { publishers, subscribers, topics: subscribers.map((s) => topicFor('cmd', s)), window: RAW_WINDOW, payloadBytes: 256, warmupS: 1, windowS: 3, rounds: RAW_ROUNDS };
    })();
    const unclean: string[] = [];
    for (const n of NODE_COUNTS) {
      // A fresh Redis and database per node count: every setup starts from the same state.
      redis = await startRedis();
      const dbUrl = await pgService.createDatabase(`ingest_${n}`);
      // Clustered nodes keep identities in PostgreSQL: the same fleet, copied in.
      const pgState = await PostgresStateDb.open({ url: dbUrl, poolMax: 2 });
      await copyIdentities(stateDb, pgState).finally(() => pgState.close());
      const nodes: DoorcastBroker[] = [];
      const config = [`cluster: { redis: { url: '${redis.url}' } }`, `store: { kind: postgres, url: '${dbUrl}', poolMax: ${POOL} }`];
      // One after another (they may start together), each with a state dir of its own, as on separate hosts.
      for (let k = 0; k < n; k++) nodes.push(await startDoorcastBroker(procs, dir, join(dir, `node-${n}-${k + 1}`), { name: `node-${n}-${k + 1}`, config }));
      const r = redis;
      const setup: Setup = {
        nodes,
        services: [
          { name: 'Redis', pids: () => [redisPid(r)] },
          { name: 'PostgreSQL', pids: () => processTree(postmasterPid(pgService)) },
        ],
      };
      const label = `${n} node${n > 1 ? 's' : ''} (PostgreSQL)`;
      if (n === 1) {
        out.push(...idleResults('clustered node', await idleOnOneNode(gens, nodes[0]!, fleet.bulk, 100)));
        await trimTo(gens, setup, DEVICES);
      } else {
        const s = await connectSpread(gens, nodes, fleet.bulk.slice(0, DEVICES), 100);
        out.push({ name: `connect ${DEVICES} devices round robin over ${n} nodes`, value: round(s, 1), unit: 's' });
      }
      const m: Measured = { label, ingest: await saturate(gens, setup, ingest), paced: await paced(gens, PACED), stored: await storedRows(dbUrl) };
      checkExactlyOnce(m);
      out.push(...ingestResults(m, setup.services.map((x) => x.name), embIngest));
      await disconnectAll(gens, setup);
      if (n === RAW_AT) {
        const [bare, mosquitto] = await Promise.all([startBareAedes(procs), startMosquitto(procs, dir, [...rawLoad.subscribers, fleet.operator])]);
        const [a, b] = [nodes[0]!, nodes[1]!];
        const more = [b.pid, redisPid(r)];
        raw = await rawPublish(
          gens[0]!,
          gens[1]!,
          [
            { name: 'aedes', url: bare.url, pid: bare.pid },
            { name: 'mosquitto', url: mosquitto.url, pid: mosquitto.pid },
            { name: 'embedded', url: embedded.url, pid: embedded.pid },
            { name: 'same node', url: a.url, pid: a.pid, morePids: more },
            { name: 'cross node', url: a.url, subUrl: b.url, pid: a.pid, morePids: more },
          ],
          rawLoad,
        );
      }
      // A node that does not exit 0 on SIGTERM is a finding (it did not shut down cleanly).
      const codes = await Promise.all(nodes.map((x) => x.stop()));
      unclean.push(...codes.flatMap((c, k) => (c === 0 ? [] : [`node-${n}-${k + 1} exit ${c}`])));
      await redis.destroy();
      redis = undefined;
      await pgService.dropDatabase(`ingest_${n}`);
    }
    if (raw) out.push(...rawResults(raw));
    out.push({ name: 'clustered nodes not exiting 0 on SIGTERM', value: unclean.length, unit: 'nodes', note: unclean.join(', ') || 'all clean' });
    return out;
  } finally {
    await stateDb.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await procs.killAll();
    await Promise.allSettled([redis?.destroy(), pgService.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

function rawResults(raw: Map<string, RawFigure>): BenchResult[] {
  const a = raw.get('aedes')!;
  const perCpu = (f: RawFigure) => f.rate / f.brokerCores;
  const rows: [string, string, string][] = [
    ['aedes', 'bare aedes (anonymous)', ''],
    ['mosquitto', 'Mosquitto 2.0 (password file)', ''],
    ['embedded', 'doorcast broker, embedded', ''],
    ['same node', 'doorcast broker, clustered, pub and sub on node A', 'CPU of nodes A + B + Redis'],
    ['cross node', 'doorcast broker, clustered, pub on A → sub on B', 'CPU of nodes A + B + Redis'],
  ];
  const load = `${RAW_PUBLISHERS} publishers × ${RAW_WINDOW} in flight → ${RAW_PUBLISHERS} subscribers, 256 B, median of ${RAW_ROUNDS} × 3 s`;
  return rows.flatMap(([key, name, what], i) => {
    const f = raw.get(key)!;
    return [
      {
        name: `raw QoS 1 publish: ${name}`,
        value: r0(f.rate),
        unit: 'msgs/s',
        note: `${i === 0 ? `${load}; ` : ''}broker ${round(f.brokerCores, 2)} cores${what ? ` (${what})` : ''}, load generators ${round(f.loadCores, 2)}; ${round(f.rate / a.rate, 2)} × aedes`,
      },
      { name: `raw QoS 1 publish: ${name}, per broker CPU-second`, value: r0(perCpu(f)), unit: 'msgs/cpu-s', note: `${round(perCpu(f) / perCpu(a), 2)} × aedes` },
    ];
  });
}
