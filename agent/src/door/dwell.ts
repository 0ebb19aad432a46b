// Dwell windows (DESIGN.md "dwell window"): from a granted unlock until the resident has left
// the screen: door closed plus a grace period, or a maximum. Pure: time is passed in, and the
// caller drives expiry with expire(now) at nextDeadline().
import type { Method } from '@doorcast/firmware-protocol';

export interface DwellOptions {
  /** After the door closes, the resident may still be looking: keep the window this long. */
  graceMs: number;
  /** Close the window at the latest this long after the unlock (no door sensor, door left open). */
  maxMs: number;
  /** Typical unlock-to-close time, used to estimate remaining dwell before the door closes. */
  typicalMs: number;
}

export type CloseReason = 'door-closed' | 'max' | 'next-unlock' | 'stopped';

export interface DwellWindow {
  id: number;
  door: string;
  openedAt: number;
  method: Method;
  pseudonym: string | null;
  /** When the door closed, if it has. */
  closedAt: number | null;
}

export interface ClosedWindow extends DwellWindow {
  endedAt: number;
  reason: CloseReason;
}

export interface DwellListener {
  opened(w: DwellWindow): void;
  closed(w: ClosedWindow): void;
}

export class DwellTracker {
  readonly #open = new Map<string, DwellWindow>();
  #nextId = 1;

  constructor(
    readonly options: DwellOptions,
    readonly listener: DwellListener,
  ) {
    if (!(options.graceMs >= 0 && options.maxMs > 0 && options.typicalMs > 0)) {
      throw new TypeError('DwellTracker: graceMs >= 0, maxMs > 0 and typicalMs > 0 required');
    }
  }

  /** A granted unlock opens a window; one already open at that door ends (the next resident). */
  unlock(door: string, at: number, method: Method, pseudonym: string | null): DwellWindow {
    this.#close(door, at, 'next-unlock');
    const w: DwellWindow = { id: this.#nextId++, door, openedAt: at, method, pseudonym, closedAt: null };
    this.#open.set(door, w);
    this.listener.opened(w);
    return w;
  }

  /** Door contact changes. Held-open and forced-open open no window and leave one alone. */
  doorState(door: string, state: 'opened' | 'closed' | 'held-open' | 'forced-open', at: number): void {
    const w = this.#open.get(door);
    if (!w) return;
    if (state === 'closed') w.closedAt = at;
    else if (state === 'opened') w.closedAt = null; // re-opened during the grace period
    this.expire(at);
  }

  /** The window open at `door` now, with its expected remaining time, or null. */
  current(door: string, now: number): { window: DwellWindow; expectedRemainingMs: number } | null {
    const w = this.#open.get(door);
    if (!w || this.#endsAt(w) <= now) return null;
    return { window: w, expectedRemainingMs: Math.max(0, this.#expectedEnd(w) - now) };
  }

  /** Closes every window whose end has passed. */
  expire(now: number): void {
    for (const [door, w] of this.#open) {
      const end = this.#endsAt(w);
      if (end <= now) this.#close(door, end, w.closedAt !== null && w.closedAt + this.options.graceMs <= w.openedAt + this.options.maxMs ? 'door-closed' : 'max');
    }
  }

  /** The earliest time a window will end by itself, for the caller's timer. */
  nextDeadline(): number | null {
    let next: number | null = null;
    for (const w of this.#open.values()) {
      const end = this.#endsAt(w);
      if (next === null || end < next) next = end;
    }
    return next;
  }

  stop(now: number): void {
    for (const door of [...this.#open.keys()]) this.#close(door, now, 'stopped');
  }

  #endsAt(w: DwellWindow): number {
    const max = w.openedAt + this.options.maxMs;
    return w.closedAt === null ? max : Math.min(max, w.closedAt + this.options.graceMs);
  }

  #expectedEnd(w: DwellWindow): number {
    if (w.closedAt !== null) return this.#endsAt(w);
    return Math.min(w.openedAt + this.options.maxMs, w.openedAt + this.options.typicalMs + this.options.graceMs);
  }

  #close(door: string, at: number, reason: CloseReason): void {
    const w = this.#open.get(door);
    if (!w) return;
    this.#open.delete(door);
    this.listener.closed({ ...w, endedAt: at, reason });
  }
}
