// The controller's ring of unacked events (PROTOCOL.md §4.2, §4.3): bounded, oldest
// overwritten when full (counted as dropped), per-event retransmit backoff, a send window.
import type { DoorEventMessage } from '../message.js';

interface Entry {
  event: DoorEventMessage;
  sends: number;
  /** When it may next be (re)sent; 0 = now. */
  dueAt: number;
  inFlight: boolean;
}

export interface RingOptions {
  capacity: number;
  window: number;
  retransmitMs: number;
  retransmitMaxMs: number;
}

export class EventRing {
  readonly #entries: Entry[] = [];
  dropped = 0;
  rejected = 0;

  constructor(readonly options: RingOptions) {
    if (!(options.capacity >= 1 && options.window >= 1)) throw new TypeError('EventRing: capacity and window must be >= 1');
  }

  get size(): number {
    return this.#entries.length;
  }

  seqs(): number[] {
    return this.#entries.map((e) => e.event.seq);
  }

  /** Adds a new event; when full, the oldest unacked one is overwritten (the door must work). */
  push(event: DoorEventMessage): DoorEventMessage | undefined {
    let lost: DoorEventMessage | undefined;
    if (this.#entries.length >= this.options.capacity) {
      lost = this.#entries.shift()!.event;
      this.dropped++;
    }
    this.#entries.push({ event, sends: 0, dueAt: 0, inFlight: false });
    return lost;
  }

  ack(seq: number): boolean {
    const i = this.#entries.findIndex((e) => e.event.seq === seq);
    if (i < 0) return false;
    this.#entries.splice(i, 1);
    return true;
  }

  /** NAK storage-unavailable: keep it, retry after its backoff. NAK rejected: drop and count. */
  nak(seq: number, reason: 'storage-unavailable' | 'rejected'): void {
    if (reason === 'rejected') {
      if (this.ack(seq)) this.rejected++;
      return;
    }
    // Nothing else to do: the entry stays in flight until its retransmit is due (§4.2 "next
    // retransmit after the backoff"). Resending at once made a full disk a NAK storm.
  }

  /** Events to send now, oldest first, keeping at most `window` in flight. */
  due(now: number): DoorEventMessage[] {
    const out: DoorEventMessage[] = [];
    let inFlight = 0;
    // Entries go out oldest first, so the in-flight ones sit at the front: one pass that
    // stops when the window is full is O(window), not O(ring).
    for (const e of this.#entries) {
      if (inFlight >= this.options.window) break;
      if (e.inFlight && e.dueAt > now) {
        inFlight++;
        continue;
      }
      const backoff = Math.min(this.options.retransmitMaxMs, this.options.retransmitMs * 2 ** Math.min(e.sends, 16));
      e.sends++;
      e.inFlight = true;
      e.dueAt = now + backoff;
      inFlight++;
      out.push(e.event);
    }
    return out;
  }

  /** After AGENT_HELLO or link up: everything is due now, timeouts back to the start. */
  resendAll(): void {
    for (const e of this.#entries) {
      e.inFlight = false;
      e.sends = 0;
      e.dueAt = 0;
    }
  }
}
