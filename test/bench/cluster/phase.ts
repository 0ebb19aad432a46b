// One measured setup of the cluster bench (the embedded node, or N clustered nodes): devices
// connected round robin over its nodes, idle connections and RSS, saturated ingest with one
// batch in flight per device, and paced ingest for the publish → application ack latency.
import type { Counts, Cred } from '../broker/load-protocol.js';
import { brokerDeviceConnections, cpuSeconds, type DoorcastBroker, type LoadGenerator, rssMb, sleep } from '../broker/processes.js';
import { all, failIfErrors, split, sum, untilTrue } from '../broker/tallies.js';
import { median } from '../result.js';
import { cpuOfAll } from './services.js';

export interface Setup {
  nodes: DoorcastBroker[];
  /** Redis and PostgreSQL (none embedded): their processes, read when CPU is sampled. */
  services: { name: string; pids: () => number[] }[];
}

const GROUP = 'fleet';

/** Connects `devices` round robin over the nodes, each node's share split over the generators. */
export async function connectSpread(gens: LoadGenerator[], nodes: DoorcastBroker[], devices: Cred[], concurrency: number): Promise<number> {
  const t0 = performance.now();
  const work = split(devices, nodes.length).flatMap((share, n) => split(share, gens.length).map((part, g) => ({ gen: gens[g]!, url: nodes[n]!.url, part })));
  await Promise.all(work.map((w) => w.gen.request({ op: 'connect', group: GROUP, url: w.url, devices: w.part, concurrency }, 300_000)));
  failIfErrors(await all(gens), 'connect');
  const want = devices.length;
  await untilTrue(async () => sum(await all(gens), (c) => c.connected) === want, 30_000, `${want} connected`);
  return (performance.now() - t0) / 1000;
}

export async function disconnectAll(gens: LoadGenerator[], s: Setup): Promise<void> {
  await Promise.all(gens.map((g) => g.request({ op: 'trim', group: GROUP, keep: 0 }, 120_000)));
  await untilTrue(async () => (await Promise.all(s.nodes.map((n) => brokerDeviceConnections(n.httpPort)))).every((c) => c === 0), 30_000, 'all disconnected');
}

export interface IdleFigure {
  connectS: number;
  connectCpuS: number;
  held: number;
  rssBeforeMb: number;
  rssIdleMb: number;
  kibPerConnection: number;
}

/** `devices` idle on one node: connect time, connections held (the node's gauge), RSS. */
export async function idleOnOneNode(gens: LoadGenerator[], node: DoorcastBroker, devices: Cred[], concurrency: number): Promise<IdleFigure> {
  await sleep(1000);
  const rssBeforeMb = rssMb(node.pid);
  const cpu0 = cpuSeconds(node.pid);
  const connectS = await connectSpread(gens, [node], devices, concurrency);
  const connectCpuS = cpuSeconds(node.pid) - cpu0;
  await sleep(3000);
  const held = await brokerDeviceConnections(node.httpPort);
  const rssIdleMb = rssMb(node.pid);
  return { connectS, connectCpuS, held, rssBeforeMb, rssIdleMb, kibPerConnection: ((rssIdleMb - rssBeforeMb) * 1024) / Math.max(1, held) };
}

/** Keeps the first `keep` devices of the group connected (split over the generators). */
export async function trimTo(gens: LoadGenerator[], s: Setup, keep: number): Promise<void> {
  const per = Math.ceil(keep / gens.length);
  await Promise.all(gens.map((g) => g.request({ op: 'trim', group: GROUP, keep: per }, 120_000)));
  const held = async () => (await Promise.all(s.nodes.map((n) => brokerDeviceConnections(n.httpPort)))).reduce((a, b) => a + b, 0);
  await untilTrue(async () => (await held()) === per * gens.length, 30_000, 'trimmed');
}

export interface IngestFigure {
  /** Impressions acked per second, median of the windows, and each window. */
  rate: number;
  rates: number[];
  /** Median cores per node, per service (Setup.services), and of the load generators. */
  nodeCores: number[];
  serviceCores: number[];
  loadCores: number;
  /** Median over windows of impressions per CPU-second of all nodes together. */
  perNodeCpuS: number;
  /** Microseconds of CPU per impression: nodes, and nodes + Redis + PostgreSQL. */
  nodeUsPerImpression: number;
  totalUsPerImpression: number;
  /** Publish → ack per batch at saturation. */
  latency: Counts['ackLatency'];
  acked: number;
  batches: number;
  timeouts: number;
  badAcks: number;
  rssPeakMb: number[];
}

interface Sample {
  at: number;
  acked: number;
  nodes: number[];
  services: number[];
  load: number;
}

const delta = (done: Counts[], before: Counts[], f: (c: Counts) => number) => sum(done, f) - sum(before, f);

/** Every connected device publishes `records`-record batches, one in flight, for `windows` × `windowS`. */
export async function saturate(gens: LoadGenerator[], s: Setup, o: { records: number; windows: number; windowS: number }): Promise<IngestFigure> {
  const start = await all(gens);
  const per = start.map((c) => c.connected);
  const devices = per.reduce((a, b) => a + b, 0);
  await Promise.all(gens.map((g, i) => g.request({ op: 'ingest-start', group: GROUP, count: per[i]!, records: o.records, maxSeconds: o.windows * o.windowS + 120 }, 30_000)));
  const rssPeakMb = s.nodes.map(() => 0);
  const sampler = setInterval(() => {
    for (const [i, n] of s.nodes.entries()) rssPeakMb[i] = Math.max(rssPeakMb[i]!, rssMb(n.pid));
  }, 250);
  try {
    // Warm until every device has had one batch acked (the pipeline is full), then 1 s.
    await untilTrue(async () => delta(await all(gens), start, (c) => c.batches) >= devices, 90_000, 'first ack of every device');
    await sleep(1000);
    const sample = async (): Promise<Sample> => ({
      acked: sum(await all(gens), (c) => c.acked),
      at: performance.now(),
      nodes: s.nodes.map((n) => cpuSeconds(n.pid)),
      services: s.services.map((x) => cpuOfAll(x.pids())),
      load: cpuOfAll(gens.map((g) => g.pid)),
    });
    const samples = [await sample()];
    for (let w = 0; w < o.windows; w++) {
      await sleep(o.windowS * 1000);
      samples.push(await sample());
    }
    const windows = samples.slice(1).map((b, i) => {
      const a = samples[i]!;
      const sec = (b.at - a.at) / 1000;
      const n = b.acked - a.acked;
      const nodeCpu = b.nodes.map((c, k) => c - a.nodes[k]!);
      const nodeTotal = nodeCpu.reduce((x, y) => x + y, 0);
      const serviceCpu = b.services.map((c, k) => c - a.services[k]!);
      const all = nodeTotal + serviceCpu.reduce((x, y) => x + y, 0);
      return { rate: n / sec, nodeCores: nodeCpu.map((c) => c / sec), serviceCores: serviceCpu.map((c) => c / sec), loadCores: (b.load - a.load) / sec, nodeTotal, all, n };
    });
    clearInterval(sampler);
    const done = await Promise.all(gens.map((g) => g.request({ op: 'ingest-stop' }, 90_000))).then((rs) => rs.map((r) => r.counts));
    failIfErrors(done, 'ingest');
    return {
      rate: median(windows.map((w) => w.rate)),
      rates: windows.map((w) => w.rate),
      nodeCores: s.nodes.map((_, k) => median(windows.map((w) => w.nodeCores[k]!))),
      serviceCores: s.services.map((_, k) => median(windows.map((w) => w.serviceCores[k]!))),
      loadCores: median(windows.map((w) => w.loadCores)),
      perNodeCpuS: median(windows.map((w) => w.n / w.nodeTotal)),
      nodeUsPerImpression: median(windows.map((w) => (w.nodeTotal * 1e6) / w.n)),
      totalUsPerImpression: median(windows.map((w) => (w.all * 1e6) / w.n)),
      latency: worst(done),
      acked: delta(done, start, (c) => c.acked),
      batches: delta(done, start, (c) => c.batches),
      timeouts: delta(done, start, (c) => c.ackTimeouts),
      badAcks: delta(done, start, (c) => c.badAcks),
      rssPeakMb,
    };
  } finally {
    clearInterval(sampler);
  }
}

/** The generators' latency summaries: median of their p50s, the worst p99 and max. */
function worst(done: Counts[]): Counts['ackLatency'] {
  const l = done.map((c) => c.ackLatency).filter((x) => x.n > 0);
  return { p50: median(l.map((x) => x.p50)), p99: Math.max(...l.map((x) => x.p99)), max: Math.max(...l.map((x) => x.max)), n: l.reduce((a, x) => a + x.n, 0) };
}

export interface PacedFigure {
  latency: Counts['ackLatency'];
  /** Impressions acked per second over the run (the offered rate, if the setup keeps up). */
  rate: number;
  acked: number;
  timeouts: number;
}

/** The first `devices` connected devices each publish one `records`-record batch every `intervalMs`. */
export async function paced(gens: LoadGenerator[], o: { devices: number; records: number; intervalMs: number; seconds: number }): Promise<PacedFigure> {
  const start = await all(gens);
  const count = Math.ceil(o.devices / gens.length);
  const t0 = performance.now();
  await Promise.all(gens.map((g) => g.request({ op: 'ingest-start', group: GROUP, count, records: o.records, maxSeconds: o.seconds + 60, intervalMs: o.intervalMs }, 30_000)));
  await sleep(o.seconds * 1000);
  const done = await Promise.all(gens.map((g) => g.request({ op: 'ingest-stop' }, 90_000))).then((rs) => rs.map((r) => r.counts));
  failIfErrors(done, 'paced ingest');
  const acked = delta(done, start, (c) => c.acked);
  return { latency: worst(done), rate: acked / ((performance.now() - t0) / 1000), acked, timeouts: delta(done, start, (c) => c.ackTimeouts) };
}
