// A door controller emulator speaking doorlink over any byte stream: the controller side of
// PROTOCOL.md §4.2 (ring, window, backoff, HELLO on link up and on AGENT_HELLO, heartbeat),
// with an optional noisy line. Used by tests, the demo and the doorcast-emulator CLI.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { CAPABILITIES, type DoorState, type Method, PROTOCOL_VERSION, Timing } from '../constants.js';
import { encode } from '../frame.js';
import type { DoorEventMessage, Message } from '../message.js';
import { type Decoded, DoorlinkParser } from '../parser.js';
import { EventRing } from './ring.js';
import { prng } from './traffic.js';

export interface NoiseOptions {
  /** Probability of random garbage (1–16 bytes) before a frame. */
  garbage: number;
  /** Probability of one flipped bit inside a frame. */
  bitFlip: number;
  /** Probability of splitting a frame into two writes. */
  split: number;
}

export interface EmulatorOptions {
  controllerId: string;
  firmware?: string;
  doors: number;
  ringCapacity?: number;
  window?: number;
  retransmitMs?: number;
  retransmitMaxMs?: number;
  heartbeatMs?: number;
  /** The first sequence number to assign (as if restored from NV memory, PROTOCOL.md §4.1). */
  firstSeq?: number;
  noise?: Partial<NoiseOptions>;
  seed?: number;
  /** Controller clock, Unix ms (0 = not set). */
  now?: () => number;
  tickMs?: number;
}

export interface EmulatorStats {
  generated: number;
  sent: number;
  retransmits: number;
  acked: number;
  naks: number;
  dropped: number;
  pending: number;
  framesBad: number;
  hellos: number;
}

export class ControllerEmulator extends EventEmitter {
  readonly ring: EventRing;
  /** Every event generated, by seq: the reference for reconciliation in tests. */
  readonly ledger = new Map<number, DoorEventMessage>();
  readonly acked = new Set<number>();
  readonly #o: Required<Omit<EmulatorOptions, 'noise' | 'now'>> & { noise: NoiseOptions; now: () => number };
  readonly #rand: () => number;
  #nextSeq: number;
  #stream: Duplex | undefined;
  #parser: DoorlinkParser | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastSendAt = 0;
  #clockOffset = 0;
  #stats = { sent: 0, retransmits: 0, naks: 0, framesBad: 0, hellos: 0 };
  readonly #sentOnce = new Set<number>();

  constructor(options: EmulatorOptions) {
    super();
    this.#o = {
      firmware: 'emu-1.0',
      ringCapacity: 256,
      window: Timing.window,
      retransmitMs: Timing.retransmitMs,
      retransmitMaxMs: Timing.retransmitMaxMs,
      heartbeatMs: Timing.heartbeatMs,
      firstSeq: 1,
      seed: 1,
      tickMs: 20,
      ...options,
      noise: { garbage: 0, bitFlip: 0, split: 0, ...options.noise },
      now: options.now ?? Date.now,
    };
    this.ring = new EventRing({ capacity: this.#o.ringCapacity, window: this.#o.window, retransmitMs: this.#o.retransmitMs, retransmitMaxMs: this.#o.retransmitMaxMs });
    this.#rand = prng(this.#o.seed);
    this.#nextSeq = this.#o.firstSeq;
  }

  get controllerId(): string {
    return this.#o.controllerId;
  }

  get attached(): boolean {
    return this.#stream !== undefined;
  }

  stats(): EmulatorStats {
    return { ...this.#stats, generated: this.ledger.size, acked: this.acked.size, dropped: this.ring.dropped, pending: this.ring.size };
  }

  /** The controller's clock, adjusted by TIME_SET. */
  now(): number {
    return this.#o.now() + this.#clockOffset;
  }

  /** Connects the controller to a link; it says HELLO and resends everything unacked. */
  attach(stream: Duplex): void {
    this.detach();
    this.#stream = stream;
    const parser = new DoorlinkParser();
    this.#parser = parser;
    stream.pipe(parser);
    parser.on('data', (d: Decoded) => this.#onDecoded(d));
    stream.once('close', () => {
      if (this.#stream === stream) this.detach();
    });
    stream.on('error', () => {}); // the transport reports; a controller just keeps its ring
    this.#hello();
    this.#timer = setInterval(() => this.#tick(), this.#o.tickMs);
    this.#timer.unref();
    this.#tick();
  }

  detach(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#stream && this.#parser) this.#stream.unpipe(this.#parser);
    this.#parser?.destroy();
    this.#parser = undefined;
    this.#stream = undefined;
  }

  unlock(e: { door: number; method: Method; granted: boolean; reason?: number; credential: Uint8Array }): DoorEventMessage {
    return this.#record({ type: 'unlock', seq: this.#nextSeq++, time: this.now(), door: e.door, method: e.method, granted: e.granted, reason: e.reason ?? 0, credential: e.credential });
  }

  doorState(door: number, state: DoorState): DoorEventMessage {
    return this.#record({ type: 'door-state', seq: this.#nextSeq++, time: this.now(), door, state });
  }

  #record(event: DoorEventMessage): DoorEventMessage {
    if (event.door < 1 || event.door > this.#o.doors) throw new RangeError(`door ${event.door} outside 1..${this.#o.doors}`);
    this.ledger.set(event.seq, event);
    const lost = this.ring.push(event);
    if (lost) this.emit('dropped', lost);
    this.emit('event', event);
    this.#flush();
    return event;
  }

  #hello(): void {
    this.#stats.hellos++;
    this.ring.resendAll();
    this.#write({
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      doorCount: this.#o.doors,
      capabilities: [...CAPABILITIES],
      ringCapacity: this.#o.ringCapacity,
      lastSeq: this.#nextSeq - 1,
      controllerId: this.#o.controllerId,
      firmware: this.#o.firmware,
    });
  }

  #onDecoded(d: Decoded): void {
    if (d.kind === 'error') {
      this.#stats.framesBad++;
      return;
    }
    const m = d.message;
    switch (m.type) {
      case 'agent-hello':
        this.#hello();
        this.#flush();
        return;
      case 'ack':
        if (this.ring.ack(m.seq) && !this.acked.has(m.seq)) {
          this.acked.add(m.seq);
          this.emit('acked', m.seq);
          this.#flush(); // a freed window slot is used at once, as a controller would
        }
        return;
      case 'nak':
        this.#stats.naks++;
        this.ring.nak(m.seq, m.reason);
        return;
      case 'time-set':
        this.#clockOffset = m.time - this.#o.now();
        return;
      default:
        return; // controller-bound only
    }
  }

  #tick(): void {
    this.#flush();
    if (this.#stream && this.#o.now() - this.#lastSendAt >= this.#o.heartbeatMs) {
      this.#write({ type: 'heartbeat', time: this.now(), lastSeq: this.#nextSeq - 1, pending: this.ring.size, dropped: this.ring.dropped });
    }
  }

  #flush(): void {
    if (!this.#stream) return;
    for (const e of this.ring.due(this.#o.now())) {
      if (this.#sentOnce.has(e.seq)) this.#stats.retransmits++;
      else this.#sentOnce.add(e.seq);
      this.#write(e);
    }
  }

  #write(m: Message): void {
    const s = this.#stream;
    if (!s || s.destroyed || !s.writable) return;
    this.#stats.sent++;
    this.#lastSendAt = this.#o.now();
    let frame = encode(m);
    const n = this.#o.noise;
    const r = this.#rand;
    if (n.garbage > 0 && r() < n.garbage) s.write(Buffer.from(Array.from({ length: 1 + Math.floor(r() * 16) }, () => Math.floor(r() * 256))));
    if (n.bitFlip > 0 && r() < n.bitFlip) {
      frame = Buffer.from(frame);
      const bit = Math.floor(r() * frame.length * 8);
      frame[bit >> 3]! ^= 1 << (bit & 7);
    }
    if (n.split > 0 && r() < n.split && frame.length > 1) {
      const at = 1 + Math.floor(r() * (frame.length - 1));
      s.write(frame.subarray(0, at));
      s.write(frame.subarray(at));
    } else {
      s.write(frame);
    }
  }

  stop(): void {
    this.detach();
  }
}
