// A doorlink source over any reconnectable byte stream: serial ports and TCP device servers.
// The link may be absent at start, unplugged and replugged; each (re)connection gets a
// fresh DoorlinkSession, and reconnects back off with jitter.

import type { Duplex } from 'node:stream';
import type { FrameError } from '@doorcast/firmware-protocol';
import { Backoff } from '../link/backoff.js';
import { type Logger, silentLogger } from '../obs/log.js';
import { Counter, Gauge, metric, Registry } from '../obs/metrics.js';
import { DoorlinkSession } from './doorlink-session.js';
import type { Deliver, SourceEvent } from './event.js';
import type { DoorSource, SourceStatus } from './source.js';

export interface StreamSourceOptions {
  name: string;
  kind: 'serial' | 'tcp' | 'sim';
  /** Where it connects, for logs and status. */
  target: string;
  /** Opens the stream; rejects when the device or host is not there (yet). */
  connect: () => Promise<Duplex>;
  controllerId?: string | undefined;
  log?: Logger;
  registry?: Registry;
  backoff?: Backoff;
  silenceMs?: number;
  syncedNow?: () => number | null;
}

export function sourceMetrics(registry: Registry) {
  return {
    events: metric(registry, 'doorcast_source_events_total', (registers) => new Counter({ name: 'doorcast_source_events_total', help: 'Door events received, by source, kind and outcome', labelNames: ['source', 'kind', 'outcome'], registers })),
    frameErrors: metric(registry, 'doorcast_source_frame_errors_total', (registers) => new Counter({ name: 'doorcast_source_frame_errors_total', help: 'doorlink frames rejected, by source and reason', labelNames: ['source', 'reason'], registers })),
    reconnects: metric(registry, 'doorcast_source_reconnects_total', (registers) => new Counter({ name: 'doorcast_source_reconnects_total', help: 'Source link (re)connections attempted', labelNames: ['source'], registers })),
    up: metric(registry, 'doorcast_source_up', (registers) => new Gauge({ name: 'doorcast_source_up', help: '1 when the source link is up', labelNames: ['source'], registers })),
    dropped: metric(registry, 'doorcast_source_controller_dropped_total', (registers) => new Counter({ name: 'doorcast_source_controller_dropped_total', help: 'Events the controller reported overwritten before they were acked', labelNames: ['source'], registers })),
  };
}

export class StreamSource implements DoorSource {
  readonly name: string;
  readonly #o: StreamSourceOptions;
  readonly #log: Logger;
  readonly #m: ReturnType<typeof sourceMetrics>;
  readonly #backoff: Backoff;
  #deliver: Deliver | undefined;
  #session: DoorlinkSession | undefined;
  #stream: Duplex | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #status: SourceStatus;

  constructor(options: StreamSourceOptions) {
    this.#o = options;
    this.name = options.name;
    this.#log = (options.log ?? silentLogger).child({ source: options.name });
    this.#m = sourceMetrics(options.registry ?? new Registry());
    this.#backoff = options.backoff ?? new Backoff({ baseMs: 500, capMs: 30_000, floorMs: 250 });
    this.#status = { name: options.name, kind: options.kind, link: 'stopped', detail: '', reconnects: 0, eventsDelivered: 0, lastEventAt: null };
  }

  status(): SourceStatus {
    return { ...this.#status };
  }

  async start(deliver: Deliver): Promise<void> {
    this.#deliver = deliver;
    this.#stopped = false;
    this.#status.link = 'starting';
    await this.#attempt();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#session?.close();
    const s = this.#stream;
    this.#stream = undefined;
    this.#session = undefined;
    if (s && !s.destroyed) {
      await new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        s.destroy();
        setTimeout(resolve, 1000).unref();
      });
    }
    this.#status.link = 'stopped';
    this.#m.up.set({ source: this.name }, 0);
  }

  async #attempt(): Promise<void> {
    if (this.#stopped) return;
    this.#m.reconnects.inc({ source: this.name });
    let stream: Duplex;
    try {
      stream = await this.#o.connect();
    } catch (err) {
      this.#down(`cannot open ${this.#o.target}: ${(err as Error).message}`);
      return;
    }
    if (this.#stopped) {
      stream.destroy();
      return;
    }
    this.#stream = stream;
    this.#backoff.reset();
    this.#status.link = 'up';
    this.#status.detail = `connected to ${this.#o.target}`;
    this.#m.up.set({ source: this.name }, 1);
    this.#log.info({ target: this.#o.target }, 'source link up');
    stream.on('error', (err) => {
      if (!this.#stopped) this.#log.warn({ err: err.message }, 'source link error');
    });
    stream.once('close', () => {
      this.#session?.close();
      this.#session = undefined;
      if (this.#stream === stream) this.#stream = undefined;
      this.#down(`${this.#o.target} closed`);
    });
    this.#session = new DoorlinkSession(stream, {
      source: this.name,
      // Passed through as is: its `batch` is what makes group commit work.
      deliver: this.#deliver!,
      log: this.#log,
      controllerId: this.#o.controllerId,
      silenceMs: this.#o.silenceMs,
      syncedNow: this.#o.syncedNow ?? (() => null),
      onFrameError: (e: FrameError) => {
        this.#m.frameErrors.inc({ source: this.name, reason: e.code });
        if (e.code !== 'garbage') this.#log.debug({ reason: e.code, detail: e.message }, 'doorlink frame rejected');
      },
      onEvent: (e: SourceEvent, outcome) => {
        this.#m.events.inc({ source: this.name, kind: e.kind, outcome });
        if (outcome !== 'failed') {
          this.#status.eventsDelivered++;
          this.#status.lastEventAt = Date.now();
        }
      },
      onDropped: (_id, n) => this.#m.dropped.inc({ source: this.name }, n),
    });
  }

  #down(detail: string): void {
    this.#m.up.set({ source: this.name }, 0);
    if (this.#stopped) return;
    const delay = this.#backoff.next();
    this.#status.link = 'down';
    this.#status.detail = `${detail}; retrying in ${delay} ms`;
    this.#status.reconnects++;
    this.#log.warn({ detail, retryMs: delay, attempt: this.#backoff.attempts }, 'source link down, reconnecting');
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#attempt(), delay);
    this.#timer.unref();
  }
}
