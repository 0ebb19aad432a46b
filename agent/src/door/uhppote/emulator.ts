// A UT0311-style controller on 127.0.0.1 for tests and demos. Like the real ones (README.md),
// it numbers its events, keeps them in a bounded log, pushes each new one once as a 64-byte
// UDP packet to its listener, and answers get-event (0xb0) from the log. It can also lose
// pushes, repeat them, ignore requests and send garbage, which real networks do.
import { createSocket, type Socket } from 'node:dgram';
import { epochToLocal } from './bcd-time.js';
import { decodeGetEventRequest, EVENT_TYPES, encode, FN_EVENT, FN_GET_EVENT, SOM, type SOM_V662, type UhppoteEvent } from './codec.js';

export interface EmulatorOptions {
  serial: number;
  listener: { host: string; port: number };
  /** Zone of the controller's clock; default UTC. */
  timeZone?: string;
  now?: () => number;
  /** Events the log holds; older indices read back as overwritten (type 0xff). */
  logSize?: number;
  /** Start byte of pushes: 0x17, or 0x19 as firmware v6.62 sends. */
  som?: typeof SOM | typeof SOM_V662;
}

type DoorReason = 20 | 23 | 24 | 25 | 44 | 45;
type WarningReason = 28 | 29 | 31 | 32 | 33 | 37 | 38 | 39;

export class UhppoteEmulator {
  /** Every event ever recorded; index i is at [i - 1]. */
  readonly log: UhppoteEvent[] = [];
  /** Indices asked for with get-event, in arrival order. */
  readonly getEventRequests: number[] = [];
  /** Ignore this many of the next get-event requests (a lossy link). */
  dropRequests = 0;
  #socket: Socket | undefined;

  constructor(readonly options: EmulatorOptions) {}

  /** The port it sends from and answers on. */
  get port(): number | undefined {
    return this.#socket?.address().port;
  }

  async start(): Promise<void> {
    if (this.#socket) return;
    const s = createSocket('udp4');
    s.on('message', (msg, rinfo) => {
      const req = decodeGetEventRequest(msg);
      if (!req || req.serial !== this.options.serial) return;
      this.getEventRequests.push(req.index);
      if (this.dropRequests > 0) {
        this.dropRequests--;
        return;
      }
      s.send(encode(this.#record(req.index)), rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    this.#socket = s;
  }

  async stop(): Promise<void> {
    const s = this.#socket;
    this.#socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  /** A card at a reader: granted (reason 1) or denied (default 6, no privilege). */
  swipe(card: number, door: number, granted: boolean, o: { reason?: number; direction?: 1 | 2; push?: boolean } = {}): UhppoteEvent {
    return this.#add({ type: EVENT_TYPES.swipe, granted, door, direction: o.direction ?? 1, card, reason: o.reason ?? (granted ? 1 : 6) }, o.push);
  }

  /** Door records: 20 push button, 23 open, 24 closed, 25 super password, 44/45 remote open. */
  door(door: number, reason: DoorReason, push = true): UhppoteEvent {
    return this.#add({ type: EVENT_TYPES.door, granted: true, door, direction: 1, card: 0, reason }, push);
  }

  doorOpened(door: number, push = true): UhppoteEvent {
    return this.door(door, 23, push);
  }

  doorClosed(door: number, push = true): UhppoteEvent {
    return this.door(door, 24, push);
  }

  exitButton(door: number, push = true): UhppoteEvent {
    return this.door(door, 20, push);
  }

  /** Warnings: 28 power on, 29 reset, 31–33 button refused, 37 open too long, 38 forced, 39 fire. */
  warning(door: number, reason: WarningReason, push = true): UhppoteEvent {
    return this.#add({ type: EVENT_TYPES.warning, granted: false, door, direction: 1, card: 0, reason }, push);
  }

  /** Pushes a recorded event again (a duplicate on the wire). */
  repush(index: number): void {
    const e = this.log[index - 1];
    if (e) this.send(encode(e, { som: this.options.som ?? SOM }));
  }

  send(bytes: Uint8Array): void {
    this.#socket?.send(bytes, this.options.listener.port, this.options.listener.host);
  }

  /** What get-event answers for `index`. */
  #record(index: number): UhppoteEvent {
    const e = this.log[index - 1];
    const blank: UhppoteEvent = { fn: FN_GET_EVENT, serial: this.options.serial, index: 0, type: EVENT_TYPES.none, granted: false, door: 0, direction: 0, card: 0, time: null, reason: 0 };
    if (!e || index < 1) return blank; // no such record: index 0
    if (index <= this.log.length - (this.options.logSize ?? 100_000)) return { ...blank, index, type: EVENT_TYPES.overwritten };
    return { ...e, fn: FN_GET_EVENT };
  }

  #add(e: Pick<UhppoteEvent, 'type' | 'granted' | 'door' | 'direction' | 'card' | 'reason'>, push = true): UhppoteEvent {
    const time = epochToLocal((this.options.now ?? Date.now)(), this.options.timeZone ?? 'UTC');
    const ev: UhppoteEvent = { fn: FN_EVENT, serial: this.options.serial, index: this.log.length + 1, time, ...e };
    this.log.push(ev);
    if (push) this.send(encode(ev, { som: this.options.som ?? SOM }));
    return ev;
  }
}
