// The listener for UT0311-style controllers' pushed events (README.md). The controllers push
// each event once and never resend, so nothing here waits on anything: a packet is decoded,
// checked, delivered (the store dedupes on controllerId + seq) and forgotten; gaps in the
// event index are fetched back from the controller's own log with get-event (catch-up.ts).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { type Logger, silentLogger } from '../../obs/log.js';
import { Counter, metric, Registry } from '../../obs/metrics.js';
import type { Deliver, Delivery } from '../event.js';
import type { DoorSource, SourceStatus } from '../source.js';
import { sourceMetrics } from '../stream-source.js';
import { CatchUp, type CatchUpOptions, type Lost } from './catch-up.js';
import { decode, EVENT_TYPES, encodeGetEvent, FN_EVENT, type UhppoteEvent } from './codec.js';
import type { UdpControllerSourceConfig } from './config.js';
import { toSourceEvent } from './mapping.js';

export { type UdpControllerSourceConfig, UdpControllerSourceSchema } from './config.js';

export interface UdpControllerSourceOptions extends Omit<UdpControllerSourceConfig, 'kind'> {
  log?: Logger;
  registry?: Registry;
  /** Catch-up tuning (tests); maxGap comes from maxCatchUp. */
  catchUp?: Partial<Omit<CatchUpOptions, 'maxGap'>>;
  now?: () => number;
  /** Controllers tracked for catch-up at once (without an allow-list, anyone can invent serials). */
  maxControllers?: number;
}

/** At most one warning per reject reason per this interval; the rest are counted. */
const REJECT_LOG_INTERVAL_MS = 10_000;

function udpMetrics(registry: Registry) {
  return {
    rejected: metric(registry, 'doorcast_udp_packets_rejected_total', (registers) => new Counter({ name: 'doorcast_udp_packets_rejected_total', help: 'UDP controller packets refused, by reason', labelNames: ['source', 'reason'], registers })),
    skipped: metric(registry, 'doorcast_udp_events_skipped_total', (registers) => new Counter({ name: 'doorcast_udp_events_skipped_total', help: 'Controller records that are not door events (alarms, power-on, empty)', labelNames: ['source'], registers })),
    requests: metric(registry, 'doorcast_udp_get_event_requests_total', (registers) => new Counter({ name: 'doorcast_udp_get_event_requests_total', help: 'get-event requests sent to fetch missed pushes', labelNames: ['source'], registers })),
    lost: metric(registry, 'doorcast_udp_events_lost_total', (registers) => new Counter({ name: 'doorcast_udp_events_lost_total', help: 'Controller events given up on, by reason', labelNames: ['source', 'reason'], registers })),
  };
}

export class UdpControllerSource implements DoorSource {
  readonly name: string;
  readonly #o: UdpControllerSourceOptions;
  readonly #log: Logger;
  readonly #m: ReturnType<typeof sourceMetrics>;
  readonly #u: ReturnType<typeof udpMetrics>;
  readonly #now: () => number;
  readonly #allowed: Map<number, { host: string; port: number } | undefined> | undefined;
  readonly #rejectLog = new Map<string, { at: number; suppressed: number }>();
  #catchUp: CatchUp;
  /** serial → where its get-event requests go (configured address, else the last push's source). */
  readonly #replyTo = new Map<number, { host: string; port: number }>();
  #socket: Socket | undefined;
  #deliver: Deliver | undefined;
  #timer: NodeJS.Timeout | undefined;
  #status: SourceStatus;

  constructor(o: UdpControllerSourceOptions) {
    this.#o = o;
    this.name = o.name;
    this.#log = (o.log ?? silentLogger).child({ source: o.name });
    const registry = o.registry ?? new Registry();
    this.#m = sourceMetrics(registry);
    this.#u = udpMetrics(registry);
    this.#now = o.now ?? Date.now;
    this.#allowed = o.controllers && new Map(o.controllers.map((c) => [c.serial, c.address]));
    this.#catchUp = new CatchUp({ ...o.catchUp, maxGap: o.maxCatchUp });
    this.#status = { name: o.name, kind: 'udp-controller', link: 'stopped', detail: '', reconnects: 0, eventsDelivered: 0, lastEventAt: null };
  }

  /** The bound port (useful with port 0), or undefined when not listening. */
  get port(): number | undefined {
    return this.#socket?.address().port;
  }

  status(): SourceStatus {
    return { ...this.#status };
  }

  async start(deliver: Deliver): Promise<void> {
    if (this.#socket) return;
    this.#deliver = deliver;
    this.#status.link = 'starting';
    // No reuseAddr: a second listener on the port would silently take half the pushes.
    const socket = createSocket({ type: 'udp4' });
    socket.on('message', (msg, rinfo) => this.#onPacket(msg, rinfo));
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(this.#o.port, this.#o.host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      // Port taken or address not on this box: down with the reason, never a crash.
      this.#status.link = 'down';
      this.#status.detail = `cannot listen on ${this.#o.host}:${this.#o.port}: ${(err as Error).message}`;
      this.#log.error({ detail: this.#status.detail }, 'udp listener down');
      socket.close();
      return;
    }
    socket.on('error', (err) => this.#log.warn({ err: err.message }, 'udp listener error'));
    this.#socket = socket;
    this.#status.link = 'up';
    this.#status.detail = `listening on ${this.#o.host}:${socket.address().port}`;
    this.#m.up.set({ source: this.name }, 1);
    this.#log.info({ host: this.#o.host, port: socket.address().port }, 'udp listener up');
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const s = this.#socket;
    this.#socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
    // Pending fetches die with the socket; a restart begins afresh.
    this.#catchUp = new CatchUp({ ...this.#o.catchUp, maxGap: this.#o.maxCatchUp });
    this.#replyTo.clear();
    this.#status.link = 'stopped';
    this.#m.up.set({ source: this.name }, 0);
  }

  #onPacket(msg: Buffer, from: RemoteInfo): void {
    const r = decode(msg);
    if (!r.ok) {
      this.#reject(r.error.code, r.error.message, from);
      return;
    }
    const e = r.event;
    if (this.#allowed) {
      const at = this.#allowed.get(e.serial);
      if (!this.#allowed.has(e.serial) || (at && at.host !== from.address)) {
        this.#reject(at ? 'wrong-address' : 'unknown-controller', at ? `serial ${e.serial} is configured at ${at.host}` : `serial ${e.serial}`, from);
        return;
      }
    }
    const now = this.#now();
    // Past the bound, events of new serials are still delivered, only not caught up.
    const tracked = this.#replyTo.has(e.serial) || this.#replyTo.size < (this.#o.maxControllers ?? 256);
    if (e.fn === FN_EVENT && e.index !== 0 && tracked) {
      this.#replyTo.set(e.serial, this.#allowed?.get(e.serial) ?? { host: from.address, port: from.port });
      this.#lost(this.#catchUp.live(e.serial, e.index, now));
    } else if (e.index !== 0) {
      // A get-event reply: its record is here, or gone for good.
      if (e.type === EVENT_TYPES.overwritten) this.#lost([this.#catchUp.overwritten(e.serial, e.index)]);
      else this.#catchUp.arrived(e.serial, e.index);
    }
    // Index 0 is "no record" (a reply for an index the log does not hold): the request times out.
    if (this.#handle(e) === 'failed' && tracked) this.#lost(this.#catchUp.notStored(e.serial, e.index, now));
    this.#pump();
  }

  #handle(e: UhppoteEvent): Delivery | 'skipped' {
    const event = toSourceEvent(e, this.name, this.#o.timezone);
    if (!event) {
      if (e.index !== 0 && e.type !== EVENT_TYPES.overwritten) this.#u.skipped.inc({ source: this.name });
      return 'skipped';
    }
    let outcome: Delivery;
    try {
      outcome = this.#deliver?.(event) ?? 'failed';
    } catch (err) {
      outcome = 'failed';
      this.#log.error({ err: (err as Error).message }, 'deliver threw');
    }
    this.#m.events.inc({ source: this.name, kind: event.kind, outcome });
    if (outcome !== 'failed') {
      this.#status.eventsDelivered++;
      this.#status.lastEventAt = Date.now();
    }
    return outcome;
  }

  /** Sends the get-event requests due now and arms the timer for the next ones. */
  #pump(): void {
    const socket = this.#socket;
    if (!socket) return;
    const now = this.#now();
    const { requests, lost } = this.#catchUp.due(now);
    this.#lost(lost);
    for (const q of requests) {
      const to = this.#replyTo.get(q.serial);
      if (!to) continue;
      this.#u.requests.inc({ source: this.name });
      // A callback keeps a send error (host unreachable) off the socket's 'error' event.
      socket.send(encodeGetEvent(q.serial, q.index), to.port, to.host, (err) => {
        if (err) this.#log.debug({ serial: q.serial, index: q.index, err: err.message }, 'get-event send failed');
      });
    }
    if (requests.length) this.#log.debug({ requests: requests.length }, 'fetching missed events');
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const next = this.#catchUp.nextAt();
    if (next !== null) {
      this.#timer = setTimeout(() => this.#pump(), Math.max(1, next - now));
      this.#timer.unref();
    }
  }

  #lost(lost: Lost[]): void {
    for (const l of lost) {
      this.#u.lost.inc({ source: this.name, reason: l.reason }, l.to - l.from + 1);
      this.#log.warn({ serial: l.serial, from: l.from, to: l.to, reason: l.reason }, 'controller events lost');
    }
  }

  #reject(reason: string, detail: string, from: RemoteInfo): void {
    this.#u.rejected.inc({ source: this.name, reason });
    // Never the packet bytes: they may hold a card number.
    const now = this.#now();
    const seen = this.#rejectLog.get(reason);
    if (seen && now - seen.at < REJECT_LOG_INTERVAL_MS) {
      seen.suppressed++;
      return;
    }
    this.#rejectLog.set(reason, { at: now, suppressed: 0 });
    this.#log.warn({ reason, detail, from: `${from.address}:${from.port}`, suppressedBefore: seen?.suppressed ?? 0 }, 'udp packet rejected');
  }
}

export function udpControllerSource(o: UdpControllerSourceOptions): UdpControllerSource {
  return new UdpControllerSource(o);
}
