// The listener for UT0311-style controllers' pushed events (codec.ts). These controllers send
// each event once over UDP and do not retransmit, so the listener never blocks, dedupes on
// (serial, index) through the store, and fetches what it missed: an index gap triggers
// get-event requests for the missing indices from the controller's own event log.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { z } from 'zod';
import { type Logger, silentLogger } from '../../obs/log.js';
import { Counter, metric, Registry } from '../../obs/metrics.js';
import type { Deliver } from '../event.js';
import type { DoorSource, SourceStatus } from '../source.js';
import { sourceMetrics } from '../stream-source.js';
import { decodeEvent, encodeGetEvent, FN_GET_EVENT, UhppoteDecodeError, type UhppoteEvent } from './codec.js';
import { toSourceEvent } from './mapping.js';

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const UdpControllerSourceSchema = z.strictObject({
  kind: z.literal('udp-controller'),
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and -, at most 64'),
  host: z.string().min(1).default('0.0.0.0'),
  /** The listener port the controllers are set to push to (set-listener). */
  port: z.number().int().min(0).max(65535).default(60001),
  /** Accepted controllers; absent: any. Others are refused and counted. */
  controllers: z
    .array(z.strictObject({ serial: z.number().int().min(1).max(0xffffffff) }))
    .max(64)
    .optional(),
  /** The controllers' clock zone (they keep local time without a zone). */
  timezone: z.string().refine(isTimeZone, 'an IANA time zone such as Asia/Shanghai').default('UTC'),
  /** Largest index gap fetched with get-event; a larger one is logged as lost beyond it. */
  maxCatchUp: z.number().int().min(0).max(10_000).default(500),
});
export type UdpControllerSourceConfig = z.infer<typeof UdpControllerSourceSchema>;

export interface UdpControllerSourceOptions extends Omit<UdpControllerSourceConfig, 'kind'> {
  log?: Logger;
  registry?: Registry;
}

export class UdpControllerSource implements DoorSource {
  readonly name: string;
  readonly #o: UdpControllerSourceOptions;
  readonly #log: Logger;
  readonly #m;
  readonly #bad;
  readonly #skipped;
  /** serial → highest index seen (in memory; the store dedupes across restarts). */
  readonly #last = new Map<number, number>();
  #socket: Socket | undefined;
  #deliver: Deliver | undefined;
  #status: SourceStatus;

  constructor(o: UdpControllerSourceOptions) {
    this.#o = o;
    this.name = o.name;
    this.#log = (o.log ?? silentLogger).child({ source: o.name });
    const registry = o.registry ?? new Registry();
    this.#m = sourceMetrics(registry);
    this.#bad = metric(registry, 'doorcast_udp_packets_rejected_total', (registers) => new Counter({ name: 'doorcast_udp_packets_rejected_total', help: 'UDP controller packets refused, by reason', labelNames: ['source', 'reason'], registers }));
    this.#skipped = metric(registry, 'doorcast_udp_events_skipped_total', (registers) => new Counter({ name: 'doorcast_udp_events_skipped_total', help: 'Controller events that are not door events (alarms, power-on)', labelNames: ['source'], registers }));
    this.#status = { name: o.name, kind: 'udp-controller', link: 'stopped', detail: '', reconnects: 0, eventsDelivered: 0, lastEventAt: null };
  }

  get port(): number | undefined {
    return this.#socket?.address().port;
  }

  status(): SourceStatus {
    return { ...this.#status };
  }

  async start(deliver: Deliver): Promise<void> {
    this.#deliver = deliver;
    this.#status.link = 'starting';
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    socket.on('message', (msg, rinfo) => this.#onPacket(msg, rinfo));
    socket.on('error', (err) => {
      this.#status.link = 'down';
      this.#status.detail = err.message;
      this.#log.error({ err: err.message }, 'udp listener error');
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(this.#o.port, this.#o.host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      // Port taken or address missing: down with the reason, never a crash.
      this.#status.link = 'down';
      this.#status.detail = `cannot listen on ${this.#o.host}:${this.#o.port}: ${(err as Error).message}`;
      this.#log.error({ err: this.#status.detail }, 'udp listener down');
      socket.close();
      return;
    }
    this.#socket = socket;
    this.#status.link = 'up';
    this.#status.detail = `listening on ${this.#o.host}:${socket.address().port}`;
    this.#m.up.set({ source: this.name }, 1);
  }

  async stop(): Promise<void> {
    const s = this.#socket;
    this.#socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
    this.#status.link = 'stopped';
    this.#m.up.set({ source: this.name }, 0);
  }

  #reject(reason: string, detail: string, from: RemoteInfo): void {
    this.#bad.inc({ source: this.name, reason });
    this.#log.warn({ reason, detail, from: `${from.address}:${from.port}` }, 'udp packet rejected');
  }

  #onPacket(msg: Buffer, from: RemoteInfo): void {
    let e: UhppoteEvent;
    try {
      e = decodeEvent(msg);
    } catch (err) {
      this.#reject(err instanceof UhppoteDecodeError ? err.code : 'error', (err as Error).message, from);
      return;
    }
    const allowed = this.#o.controllers;
    if (allowed && !allowed.some((c) => c.serial === e.serial)) {
      this.#reject('unknown-controller', `serial ${e.serial}`, from);
      return;
    }
    this.#handle(e);
    // Only live pushes drive catch-up; a get-event answer just fills its hole.
    if (e.fn !== FN_GET_EVENT) this.#catchUp(e, from);
  }

  #handle(e: UhppoteEvent): void {
    const event = toSourceEvent(e, this.name, this.#o.timezone);
    if (!event) {
      if (e.index !== 0) this.#skipped.inc({ source: this.name });
      return;
    }
    let outcome: string;
    try {
      outcome = this.#deliver?.(event) ?? 'failed';
    } catch (err) {
      outcome = 'failed';
      this.#log.error({ err: (err as Error).message }, 'deliver threw');
    }
    this.#m.events.inc({ source: this.name, kind: event.kind, outcome });
    if (outcome === 'failed') {
      // Not lost: it stays in the controller's log and the next gap fetch asks for it again.
      const last = this.#last.get(e.serial);
      if (last !== undefined && e.index <= last) this.#last.set(e.serial, e.index - 1);
      return;
    }
    this.#status.eventsDelivered++;
    this.#status.lastEventAt = Date.now();
  }

  #catchUp(e: UhppoteEvent, from: RemoteInfo): void {
    if (e.index === 0) return;
    const last = this.#last.get(e.serial);
    this.#last.set(e.serial, Math.max(last ?? 0, e.index));
    if (last === undefined || e.index <= last + 1) return;
    const first = Math.max(last + 1, e.index - this.#o.maxCatchUp);
    if (first > last + 1) this.#log.warn({ serial: e.serial, from: last + 1, to: first - 1 }, 'event gap larger than maxCatchUp; older events not fetched');
    for (let i = first; i < e.index; i++) this.#socket?.send(encodeGetEvent(e.serial, i), from.port, from.address);
    this.#log.info({ serial: e.serial, from: first, to: e.index - 1 }, 'fetching missed events');
  }
}

export function udpControllerSource(o: UdpControllerSourceOptions): UdpControllerSource {
  return new UdpControllerSource(o);
}
