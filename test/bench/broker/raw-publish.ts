// The raw QoS 1 publish path, the same load against several brokers in the same run:
// P publishers (one load process) each publish to their own topic with a window of W in
// flight; P subscribers (the other load process) each hold a QoS 1 subscription to one of
// those topics. The figure is messages delivered to subscribers per second.
import { median } from '../result.js';
import type { Cred } from './load-protocol.js';
import { cpuSeconds, type LoadGenerator, sleep } from './processes.js';

export interface RawTarget {
  name: string;
  /** Where the publishers connect. */
  url: string;
  /** Where the subscribers connect, if elsewhere (another node of a cluster). */
  subUrl?: string;
  /** The broker process, for its CPU time. */
  pid: number;
  /** More processes the broker runs on (other nodes, Redis): their CPU counts as the broker's. */
  morePids?: number[];
}

export interface RawFigure {
  /** Messages delivered to subscribers per second (median of the rounds). */
  rate: number;
  /** Cores the broker used meanwhile (median). */
  brokerCores: number;
  /** Cores the two load generators used meanwhile (median). */
  loadCores: number;
}

export interface RawLoad {
  publishers: { username: string; password: string; clientId: string }[];
  subscribers: Cred[];
  /** topics[i]: what publisher i publishes to and subscriber i subscribes to. */
  topics: string[];
  window: number;
  payloadBytes: number;
  warmupS: number;
  windowS: number;
  rounds: number;
}

/** One round against one broker: delivered messages per second over the window. */
async function once(pub: LoadGenerator, sub: LoadGenerator, target: RawTarget, load: RawLoad): Promise<RawFigure> {
  const url = target.url;
  const pids = [target.pid, ...(target.morePids ?? [])];
  const cpu = () => [pids.reduce((n, p) => n + cpuSeconds(p), 0), cpuSeconds(pub.pid) + cpuSeconds(sub.pid)] as const;
  try {
    await sub.request({ op: 'raw-subscribe', url: target.subUrl ?? url, subscribers: load.subscribers, topics: load.topics }, 60_000);
    await pub.request(
      { op: 'raw-publish-start', url, publishers: load.publishers, topics: load.topics, window: load.window, payloadBytes: load.payloadBytes, maxSeconds: load.warmupS + load.windowS + 30 },
      60_000,
    );
    await sleep(load.warmupS * 1000);
    const a = await sub.request({ op: 'counts' }, 10_000);
    const t0 = performance.now();
    const c0 = cpu();
    await sleep(load.windowS * 1000);
    const b = await sub.request({ op: 'counts' }, 10_000);
    const seconds = (performance.now() - t0) / 1000;
    const c1 = cpu();
    const p = await pub.request({ op: 'counts' }, 10_000);
    const errors = [...b.counts.errors, ...p.counts.errors];
    if (errors.length > 0) throw new Error(`raw publish to ${url}: ${errors.slice(0, 3).join('; ')}`);
    return { rate: (b.counts.delivered - a.counts.delivered) / seconds, brokerCores: (c1[0] - c0[0]) / seconds, loadCores: (c1[1] - c0[1]) / seconds };
  } finally {
    await Promise.allSettled([pub.request({ op: 'raw-stop' }, 60_000), sub.request({ op: 'raw-stop' }, 60_000)]);
  }
}

/** Rounds interleaved across the targets, so drifting machine load hits each alike; medians. */
export async function rawPublish(pub: LoadGenerator, sub: LoadGenerator, targets: RawTarget[], load: RawLoad): Promise<Map<string, RawFigure>> {
  const runs = new Map<string, RawFigure[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < load.rounds; r++) {
    for (const t of targets) runs.get(t.name)!.push(await once(pub, sub, t, load));
  }
  return new Map(
    [...runs].map(([name, xs]) => [
      name,
      { rate: median(xs.map((x) => x.rate)), brokerCores: median(xs.map((x) => x.brokerCores)), loadCores: median(xs.map((x) => x.loadCores)) },
    ]),
  );
}
