// Memory samples of the processes under soak and the bound they are held to: after warm-up,
// mean RSS of the last third of the samples at most 10% above the first third's, and mean
// heapUsed at most 20% above (heap is sampled at random points of the GC cycle, so noisier).
import { readFileSync } from 'node:fs';

export const BOUND = { rss: 0.1, heapUsed: 0.2 } as const;

export interface Sample {
  t: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
}

/** RSS from /proc (bytes) and the heap the preloaded reporter last wrote; null if either is missing. */
export function sample(pid: number | undefined, memFile: string, t: number): Sample | null {
  if (!pid) return null;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    const m = JSON.parse(readFileSync(memFile, 'utf8')) as { heapUsed: number; heapTotal: number };
    return kb ? { t, rss: Number(kb) * 1024, heapUsed: m.heapUsed, heapTotal: m.heapTotal } : null;
  } catch {
    return null;
  }
}

export interface Verdict {
  name: string;
  samples: number;
  first: { rss: number; heapUsed: number };
  last: { rss: number; heapUsed: number };
  peakRss: number;
  growth: { rss: number; heapUsed: number };
  pass: boolean;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Compares the first and last thirds of the samples taken after `warmupS`. */
export function judge(name: string, samples: readonly Sample[], warmupS: number): Verdict {
  const after = samples.filter((s) => s.t >= warmupS);
  const third = Math.max(1, Math.floor(after.length / 3));
  const head = after.slice(0, third);
  const tail = after.slice(-third);
  const first = { rss: mean(head.map((s) => s.rss)), heapUsed: mean(head.map((s) => s.heapUsed)) };
  const last = { rss: mean(tail.map((s) => s.rss)), heapUsed: mean(tail.map((s) => s.heapUsed)) };
  const growth = { rss: last.rss / first.rss - 1, heapUsed: last.heapUsed / first.heapUsed - 1 };
  const pass = after.length >= 3 && growth.rss < BOUND.rss && growth.heapUsed < BOUND.heapUsed;
  return { name, samples: after.length, first, last, peakRss: Math.max(0, ...samples.map((s) => s.rss)), growth, pass };
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

export function describeVerdict(v: Verdict): string {
  return `${v.pass ? 'PASS' : 'FAIL'} ${v.name}: RSS ${mb(v.first.rss)} → ${mb(v.last.rss)} (${pct(v.growth.rss)}, bound ${pct(BOUND.rss)}), heapUsed ${mb(v.first.heapUsed)} → ${mb(v.last.heapUsed)} (${pct(v.growth.heapUsed)}, bound ${pct(BOUND.heapUsed)}), peak RSS ${mb(v.peakRss)}, ${v.samples} samples after warm-up`;
}
