// Watches one configured line: wakes on an edge interrupt (gpio-interrupt.ts) or a poll
// tick, reads the level through sysfs, debounces it, and reports each settled change.
import type { Debouncer } from './gpio-debounce.js';
import { watchEdges } from './gpio-interrupt.js';
import type { SysfsLine } from './gpio-sysfs.js';

export interface LineWatchOptions {
  line: SysfsLine;
  debounce: Debouncer;
  /** 'interrupt' tries epoll through onoff (real /sys only) and falls back to polling. */
  mode: 'interrupt' | 'poll';
  pollMs: number;
  now: () => number;
  onLevel: (level: 0 | 1) => void;
  onBounces: (n: number) => void;
  /** The line cannot be read any more (unexported, chip gone). Reported once. */
  onFailure: (err: Error) => void;
  /** Why interrupts were not used, for the log. */
  onFallback: (reason: string) => void;
}

export class LineWatch {
  readonly #o: LineWatchOptions;
  #settle: NodeJS.Timeout | undefined;
  #poll: NodeJS.Timeout | undefined;
  #edges: { stop(): void } | undefined;
  #reading = false;
  /** A wake-up arrived during a read: that read may predate the change, so read again. */
  #again = false;
  #stopped = false;
  #how = '';
  #onSettled: (() => void) | undefined;

  constructor(o: LineWatchOptions) {
    this.#o = o;
  }

  /** How the line is watched: "interrupt" or "poll N ms". */
  get how(): string {
    return this.#how;
  }

  async start(): Promise<void> {
    const o = this.#o;
    if (o.mode === 'interrupt') {
      try {
        this.#edges = await watchEdges(o.line.config.number, o.line.config.activeLow, () => void this.check());
        this.#how = 'interrupt';
      } catch (err) {
        o.onFallback((err as Error).message);
      }
    }
    if (this.#stopped) {
      this.#edges?.stop();
      return;
    }
    if (!this.#edges) {
      this.#poll = setInterval(() => void this.check(), o.pollMs);
      this.#how = `poll ${o.pollMs} ms`;
    }
    // The level may have moved between the initial read and the first wake-up.
    await this.check();
  }

  /**
   * Resolves once the line's first level has held for the debounce window (the baseline later
   * changes are measured from), or after `timeoutMs` for a line that keeps chattering.
   */
  settled(timeoutMs: number): Promise<void> {
    if (this.#o.debounce.level !== null || this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#onSettled = done;
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#onSettled?.();
    this.#onSettled = undefined;
    clearTimeout(this.#settle);
    clearInterval(this.#poll);
    this.#edges?.stop();
    this.#edges = undefined;
  }

  /** One read and debounce step; wake-ups during a read are coalesced into one more read. */
  async check(): Promise<void> {
    if (this.#stopped) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = true;
    const o = this.#o;
    try {
      do {
        this.#again = false;
        let value: 0 | 1;
        try {
          value = await o.line.read();
        } catch (err) {
          if (!this.#stopped) {
            this.stop();
            o.onFailure(err as Error);
          }
          return;
        }
        if (this.#stopped) return;
        const before = o.debounce.bounces;
        const level = o.debounce.sample(value, o.now());
        if (o.debounce.bounces > before) o.onBounces(o.debounce.bounces - before);
        if (level !== null) o.onLevel(level);
        if (this.#onSettled && o.debounce.level !== null) {
          this.#onSettled();
          this.#onSettled = undefined;
        }
      } while (this.#again && !this.#stopped);
    } finally {
      this.#reading = false;
    }
    // A pending change counts only once it has held: look again when it would have.
    clearTimeout(this.#settle);
    const d = o.debounce.deadline();
    if (d !== null && !this.#stopped) this.#settle = setTimeout(() => void this.check(), Math.max(0, d - o.now()) + 1);
  }
}
