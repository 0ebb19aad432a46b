// LineWatch with a line whose reads the test completes by hand: wake-ups during a read are
// not lost, a failing read is reported once, and stop() leaves no timer behind.
import { describe, expect, it } from 'vitest';
import { Debouncer } from './gpio-debounce.js';
import type { SysfsLine } from './gpio-sysfs.js';
import { LineWatch } from './gpio-watch.js';

function manualLine() {
  const reads: { resolve: (v: 0 | 1) => void; reject: (e: Error) => void }[] = [];
  const line = {
    config: { number: 529, activeLow: false, edge: 'none' as const },
    read: () => new Promise<0 | 1>((resolve, reject) => reads.push({ resolve, reject })),
  };
  return { line: line as unknown as SysfsLine, reads };
}

function watch(line: SysfsLine, debounce = new Debouncer(0, 0)) {
  const levels: (0 | 1)[] = [];
  const failures: string[] = [];
  const w = new LineWatch({
    line,
    debounce,
    mode: 'poll',
    pollMs: 60_000,
    now: () => 0,
    onLevel: (l) => levels.push(l),
    onBounces: () => {},
    onFailure: (e) => failures.push(e.message),
    onFallback: () => {},
  });
  return { w, levels, failures };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('LineWatch', () => {
  it('a wake-up during a read causes one more read, whose level is the one that counts', async () => {
    const { line, reads } = manualLine();
    const { w, levels } = watch(line);
    const first = w.check();
    void w.check(); // the edge arrives while the first read is in flight
    void w.check(); // and another: coalesced into the same re-read
    expect(reads.length).toBe(1);
    reads[0]!.resolve(0); // read before the change: no change
    await tick();
    expect(reads.length).toBe(2);
    reads[1]!.resolve(1);
    await first;
    expect(levels).toEqual([1]);
    expect(reads.length).toBe(2);
    w.stop();
  });

  it('a failing read is reported once and stops the watch', async () => {
    const { line, reads } = manualLine();
    const { w, failures } = watch(line);
    const p = w.check();
    reads[0]!.reject(new Error('ENODEV'));
    await p;
    await w.check();
    expect(failures).toEqual(['ENODEV']);
    expect(reads.length).toBe(1);
  });

  it('settled() resolves when the first level holds; stop() releases a pending wait', async () => {
    const { line, reads } = manualLine();
    const { w } = watch(line, new Debouncer(0));
    const settled = w.settled(60_000);
    const p = w.check();
    reads[0]!.resolve(1);
    await p;
    await expect(settled).resolves.toBeUndefined();

    const other = watch(manualLine().line, new Debouncer(50));
    const waiting = other.w.settled(60_000);
    other.w.stop();
    await expect(waiting).resolves.toBeUndefined();
    w.stop();
  });
});
