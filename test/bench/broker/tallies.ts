// What the benches that drive load generators share: their tallies summed, a fleet split
// between them, and bounded waits.
import type { Counts } from './load-protocol.js';
import { type LoadGenerator, sleep } from './processes.js';

export const sum = (cs: Counts[], f: (c: Counts) => number) => cs.reduce((n, c) => n + f(c), 0);

/** Every generator's tallies. */
export const all = (gens: LoadGenerator[], timeoutMs = 10_000) => Promise.all(gens.map((g) => g.request({ op: 'counts' }, timeoutMs))).then((rs) => rs.map((r) => r.counts));

/** Round robin: item k goes to part k % parts (as a load balancer spreads connections). */
export function split<T>(xs: T[], parts: number): T[][] {
  return Array.from({ length: parts }, (_, i) => xs.filter((_, k) => k % parts === i));
}

export function failIfErrors(cs: Counts[], what: string): void {
  const errors = cs.flatMap((c) => c.errors);
  if (errors.length > 0) throw new Error(`${what}: ${errors.length} errors, first: ${errors.slice(0, 3).join('; ')}`);
}

export async function untilTrue(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`${what} not reached within ${ms} ms`);
}
