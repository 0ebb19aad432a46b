// Recovering pushes lost on the wire. The controllers push each event once and never resend,
// but keep every event in a numbered log readable with get-event (0xb0). A live push whose index
// jumps past the last one seen reveals a gap; the missing indices are asked for, a few at a time,
// each a bounded number of times. Pure: the listener sends the requests and keeps the clock.

export interface CatchUpOptions {
  /** Most indices tracked per controller; older missing ones are reported lost. */
  maxGap: number;
  /** Requests outstanding per controller at once (UDP bursts get dropped). */
  window: number;
  /** Wait this long for a reply before asking again. */
  timeoutMs: number;
  /** Requests per index before it is reported lost. */
  attempts: number;
  /** Wait before fetching again a record the store could not take. */
  storeRetryMs: number;
}

export const CATCH_UP_DEFAULTS: CatchUpOptions = { maxGap: 500, window: 8, timeoutMs: 500, attempts: 3, storeRetryMs: 5000 };

export type LostReason = 'gap-too-large' | 'no-reply' | 'overwritten' | 'not-stored';

export interface Lost {
  serial: number;
  from: number;
  to: number;
  reason: LostReason;
}

export interface Request {
  serial: number;
  index: number;
}

interface Controller {
  /** Highest index seen in a live push. */
  last: number;
  /** index → earliest time to (re)send. */
  waiting: Map<number, number>;
  /** index → time sent. */
  inflight: Map<number, number>;
  /** index → requests made so far. */
  tries: Map<number, number>;
}

export class CatchUp {
  readonly #o: CatchUpOptions;
  readonly #c = new Map<number, Controller>();

  constructor(o: Partial<CatchUpOptions> = {}) {
    this.#o = { ...CATCH_UP_DEFAULTS, ...o };
  }

  /** Indices still to fetch or awaiting a reply, over all controllers. */
  get pending(): number {
    let n = 0;
    for (const c of this.#c.values()) n += c.waiting.size + c.inflight.size;
    return n;
  }

  /**
   * A live push of `index` arrived. The first push from a controller only sets the mark (what
   * came before the listener started is not known here). Returns what was given up at once.
   */
  live(serial: number, index: number, now: number): Lost[] {
    const c = this.#c.get(serial);
    if (!c) {
      this.#c.set(serial, { last: index, waiting: new Map(), inflight: new Map(), tries: new Map() });
      return [];
    }
    this.arrived(serial, index);
    const lost: Lost[] = [];
    if (index > c.last + 1) {
      let from = c.last + 1;
      const to = index - 1;
      if (to - from + 1 > this.#o.maxGap) {
        lost.push({ serial, from, to: to - this.#o.maxGap, reason: 'gap-too-large' });
        from = to - this.#o.maxGap + 1;
      }
      for (let i = from; i <= to; i++) lost.push(...this.#want(serial, c, i, now));
    }
    if (index > c.last) c.last = index;
    return lost;
  }

  /** A record for `index` arrived (reply or late push): stop asking for it. */
  arrived(serial: number, index: number): void {
    const c = this.#c.get(serial);
    if (!c) return;
    c.waiting.delete(index);
    c.inflight.delete(index);
    c.tries.delete(index);
  }

  /** The controller says the record was overwritten (log wrapped): it is gone. */
  overwritten(serial: number, index: number): Lost {
    this.arrived(serial, index);
    return { serial, from: index, to: index, reason: 'overwritten' };
  }

  /** The store could not take the record: fetch it again later, a bounded number of times. */
  notStored(serial: number, index: number, now: number): Lost[] {
    let c = this.#c.get(serial);
    if (!c) {
      c = { last: index, waiting: new Map(), inflight: new Map(), tries: new Map() };
      this.#c.set(serial, c);
    }
    c.inflight.delete(index);
    if ((c.tries.get(index) ?? 0) >= this.#o.attempts) {
      this.arrived(serial, index);
      return [{ serial, from: index, to: index, reason: 'not-stored' }];
    }
    return this.#want(serial, c, index, now + this.#o.storeRetryMs);
  }

  /** The requests to send now, and the indices given up on. */
  due(now: number): { requests: Request[]; lost: Lost[] } {
    const requests: Request[] = [];
    const lost: Lost[] = [];
    for (const [serial, c] of this.#c) {
      for (const [index, sentAt] of c.inflight) {
        if (now - sentAt < this.#o.timeoutMs) continue;
        c.inflight.delete(index);
        if ((c.tries.get(index) ?? 0) >= this.#o.attempts) {
          c.tries.delete(index);
          lost.push({ serial, from: index, to: index, reason: 'no-reply' });
        } else c.waiting.set(index, now);
      }
      for (const [index, notBefore] of c.waiting) {
        if (c.inflight.size >= this.#o.window) break;
        if (notBefore > now) continue;
        c.waiting.delete(index);
        c.inflight.set(index, now);
        c.tries.set(index, (c.tries.get(index) ?? 0) + 1);
        requests.push({ serial, index });
      }
    }
    return { requests, lost };
  }

  /** When due() next has something to do, or null when idle. */
  nextAt(): number | null {
    let next: number | null = null;
    const at = (t: number) => {
      next = next === null ? t : Math.min(next, t);
    };
    for (const c of this.#c.values()) {
      for (const sentAt of c.inflight.values()) at(sentAt + this.#o.timeoutMs);
      if (c.inflight.size < this.#o.window) for (const notBefore of c.waiting.values()) at(notBefore);
    }
    return next;
  }

  #want(serial: number, c: Controller, index: number, notBefore: number): Lost[] {
    if (c.inflight.has(index)) return [];
    if (!c.waiting.has(index) && c.waiting.size + c.inflight.size >= this.#o.maxGap) {
      c.tries.delete(index);
      return [{ serial, from: index, to: index, reason: 'gap-too-large' }];
    }
    c.waiting.set(index, notBefore);
    return [];
  }
}
