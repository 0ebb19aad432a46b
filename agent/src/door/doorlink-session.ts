// One connected doorlink link (serial or TCP): the agent side of PROTOCOL.md §4.4.
// It reads continuously, hands events to `deliver`, and acks only what deliver made
// durable. It never writes anything a controller must wait for.

import type { Duplex } from 'node:stream';
import {
  type Decoded,
  DoorlinkParser,
  encode,
  type FrameError,
  type Message,
  PROTOCOL_VERSION,
  Timing,
} from '@doorcast/firmware-protocol';
import type { Logger } from '../obs/log.js';
import type { Deliver, SourceEvent } from './event.js';

export interface SessionHooks {
  source: string;
  deliver: Deliver;
  log: Logger;
  /** The agent's clock when synchronised (PROTOCOL.md §3.8), else null. */
  syncedNow: () => number | null;
  onFrameError: (e: FrameError) => void;
  onEvent: (e: SourceEvent, outcome: string) => void;
  /** The controller reported `count` more events overwritten unacked (PROTOCOL.md §4.3). */
  onDropped: (controllerId: string | undefined, count: number) => void;
  /** Controller id pinned by config; used until (and checked against) HELLO. */
  controllerId?: string | undefined;
  /** Declare the link dead after this long without a valid frame (PROTOCOL.md §5). */
  silenceMs?: number;
}

export class DoorlinkSession {
  readonly parser = new DoorlinkParser();
  #controllerId: string | undefined;
  #dropped = 0;
  #silence: NodeJS.Timeout | undefined;
  #closed = false;
  /** Events decoded in this tick, committed together at its end (group commit). */
  #pending: { m: Extract<Message, { type: 'unlock' | 'door-state' }>; event: SourceEvent }[] = [];
  #flushScheduled = false;

  constructor(
    readonly stream: Duplex,
    readonly hooks: SessionHooks,
  ) {
    this.#controllerId = hooks.controllerId;
    stream.pipe(this.parser);
    this.parser.on('data', (d: Decoded) => this.#onDecoded(d));
    this.#armSilence();
    // PROTOCOL.md §3.5: announce ourselves so the controller resends whatever is unacked.
    this.#send({ type: 'agent-hello', protocolVersion: PROTOCOL_VERSION });
  }

  get controllerId(): string | undefined {
    return this.#controllerId;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#silence);
    this.stream.unpipe(this.parser);
    this.parser.destroy();
  }

  #armSilence(): void {
    clearTimeout(this.#silence);
    const ms = this.hooks.silenceMs ?? Timing.heartbeatMs * 3;
    this.#silence = setTimeout(() => {
      this.hooks.log.warn({ silenceMs: ms }, 'doorlink: no valid frame, link considered down');
      this.stream.destroy(new Error(`no valid frame for ${ms} ms`));
    }, ms);
    this.#silence.unref();
  }

  #send(m: Message): void {
    if (this.#closed || this.stream.destroyed || !this.stream.writable) return;
    // Acks are advisory to the controller's ring (PROTOCOL.md §4.4): a failed write is
    // harmless, the controller retransmits. Errors surface on the stream's 'error'.
    this.stream.write(encode(m));
  }

  #onDecoded(d: Decoded): void {
    if (d.kind === 'error') {
      this.hooks.onFrameError(d.error);
      return;
    }
    this.#armSilence();
    const m = d.message;
    switch (m.type) {
      case 'hello':
        this.#onHello(m.controllerId, m.lastSeq);
        return;
      case 'unlock':
      case 'door-state':
        this.#onEvent(m);
        return;
      case 'heartbeat':
        // Out-of-order retransmission makes seq gaps normal; the controller's own count of
        // overwritten events is the only reliable loss signal.
        if (m.dropped > this.#dropped) {
          this.hooks.log.error({ controllerId: this.#controllerId, dropped: m.dropped }, 'doorlink: controller ring overflowed, events lost before they reached the agent');
          this.hooks.onDropped(this.#controllerId, m.dropped - this.#dropped);
        }
        this.#dropped = m.dropped;
        return;
      case 'agent-hello':
      case 'ack':
      case 'nak':
      case 'time-set':
        // Agent-bound only; a controller echoing these is misconfigured, not dangerous.
        return;
      default:
        m satisfies never;
    }
  }

  #onHello(controllerId: string, lastSeq: number): void {
    const id = controllerId || this.hooks.controllerId;
    if (this.hooks.controllerId && controllerId && controllerId !== this.hooks.controllerId) {
      this.hooks.log.warn({ configured: this.hooks.controllerId, reported: controllerId }, 'doorlink: controller id differs from config; using the reported one');
    }
    this.#controllerId = id;
    this.hooks.log.info({ controllerId: id, lastSeq }, 'doorlink: controller hello');
    const now = this.hooks.syncedNow();
    if (now !== null) this.#send({ type: 'time-set', time: Math.max(0, Math.round(now)) });
  }

  #onEvent(m: Extract<Message, { type: 'unlock' | 'door-state' }>): void {
    const controllerId = this.#controllerId;
    // Without an identity there is no dedupe key; the controller resends after HELLO.
    if (!controllerId) return;
    const base = { source: this.hooks.source, controllerId, seq: m.seq, door: m.door, controllerTime: m.time };
    const event: SourceEvent =
      m.type === 'unlock'
        ? { ...base, kind: 'unlock', method: m.method, granted: m.granted, reason: m.reason, credential: m.credential }
        : { ...base, kind: 'door-state', state: m.state };
    this.#pending.push({ m, event });
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  /** Stores everything decoded this tick in one transaction, then acks each (PROTOCOL.md §4.4). */
  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const deliver = this.hooks.deliver;
    let outcomes: ReturnType<Deliver>[];
    try {
      outcomes = deliver.batch ? deliver.batch(batch.map((b) => b.event)) : batch.map((b) => deliver(b.event));
    } catch (err) {
      this.hooks.log.error({ err, events: batch.length }, 'doorlink: deliver threw; not acking');
      outcomes = batch.map(() => 'failed');
    }
    batch.forEach(({ m, event }, i) => {
      if (m.type === 'unlock') m.credential.fill(0);
      const outcome = outcomes[i] ?? 'failed';
      this.hooks.onEvent(event, outcome);
      this.#send(outcome === 'failed' ? { type: 'nak', seq: m.seq, reason: 'storage-unavailable' } : { type: 'ack', seq: m.seq });
    });
  }
}
