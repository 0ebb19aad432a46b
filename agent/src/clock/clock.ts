// Time is suspect (DESIGN.md rule 6): a Pi has no RTC and boots in 1970 or at the last
// shutdown time. Every record carries wall time, the boot id and a monotonic offset since
// boot; once the clock is known to be synchronised, earlier wall times of this boot are
// rewritten from the monotonic offset (store: correctClock).
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface Stamp {
  wallMs: number;
  bootId: string;
  /** Milliseconds since boot, from a monotonic clock. */
  monoMs: number;
  clockSynced: boolean;
}

export interface ClockOptions {
  sync: 'timesyncd' | 'assume-synced' | 'never';
  flagFile?: string;
  /** /proc root, injectable for tests. */
  procRoot?: string;
  now?: () => number;
}

/** The kernel's boot id; a fresh random one where /proc has none (not Linux). */
export function readBootId(procRoot = '/proc'): string {
  try {
    return readFileSync(`${procRoot}/sys/kernel/random/boot_id`, 'utf8').trim();
  } catch {
    return randomUUID();
  }
}

function readUptimeMs(procRoot: string): number | null {
  try {
    const s = Number.parseFloat(readFileSync(`${procRoot}/uptime`, 'utf8').split(' ')[0] ?? '');
    return Number.isFinite(s) ? Math.round(s * 1000) : null;
  } catch {
    return null;
  }
}

export class Clock {
  readonly bootId: string;
  readonly #monoBase: number;
  readonly #now: () => number;
  readonly #o: ClockOptions;
  #synced = false;

  constructor(options: ClockOptions) {
    this.#o = options;
    const proc = options.procRoot ?? '/proc';
    this.bootId = readBootId(proc);
    // Anchor process-monotonic time to time-since-boot once; performance.now() never jumps.
    this.#monoBase = (readUptimeMs(proc) ?? 0) - performance.now();
    this.#now = options.now ?? Date.now;
    this.refresh();
  }

  monoMs(): number {
    return Math.round(this.#monoBase + performance.now());
  }

  get synced(): boolean {
    return this.#synced;
  }

  /** Re-checks synchronisation; returns true when it just became synchronised. */
  refresh(): boolean {
    const was = this.#synced;
    const o = this.#o;
    this.#synced = o.sync === 'assume-synced' || (o.sync === 'timesyncd' && existsSync(o.flagFile ?? '/run/systemd/timesync/synchronized'));
    return !was && this.#synced;
  }

  stamp(): Stamp {
    return { wallMs: this.#now(), bootId: this.bootId, monoMs: this.monoMs(), clockSynced: this.#synced };
  }

  /** wall − mono for this boot: what correctClock needs once synchronised. */
  offsetMs(): number {
    return this.#now() - this.monoMs();
  }

  /** The synchronised wall time, or null (for TIME_SET to controllers, PROTOCOL.md §3.8). */
  syncedNow(): number | null {
    return this.#synced ? this.#now() : null;
  }
}
