// A UT0311-style controller on 127.0.0.1 for tests and demos: keeps an event log, pushes each
// new event to a listener (optionally losing some, as UDP does), and answers get-event from
// its log, as the real controllers do.
import { createSocket, type Socket } from 'node:dgram';
import { decodeGetEventRequest, EVENT_TYPES, encodeEvent, FN_EVENT, FN_GET_EVENT, type UhppoteEvent } from './codec.js';

export interface EmulatorOptions {
  serial: number;
  listener: { host: string; port: number };
  /** Controller-local time of each event; default now, in UTC. */
  now?: () => Date;
}

export class UhppoteEmulator {
  readonly log: UhppoteEvent[] = [];
  readonly getEventRequests: number[] = [];
  #socket: Socket | undefined;

  constructor(readonly options: EmulatorOptions) {}

  async start(): Promise<void> {
    const s = createSocket('udp4');
    s.on('message', (msg, rinfo) => {
      const req = decodeGetEventRequest(msg);
      if (!req || req.serial !== this.options.serial) return;
      this.getEventRequests.push(req.index);
      const e = this.log[req.index - 1];
      // Unknown index: the controllers answer with an empty record (type 0).
      const reply = e ? { ...e, fn: FN_GET_EVENT } : { ...this.#blank(req.index), fn: FN_GET_EVENT };
      s.send(encodeEvent(reply as UhppoteEvent), rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    this.#socket = s;
  }

  async stop(): Promise<void> {
    const s = this.#socket;
    this.#socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  swipe(card: number, door: number, granted: boolean, o: { reason?: number; push?: boolean } = {}): UhppoteEvent {
    return this.#add({ type: EVENT_TYPES.swipe, granted, door, card, reason: o.reason ?? (granted ? 1 : 6) }, o.push);
  }

  /** Door events: 20 push button, 23 open, 24 closed, 44 remote open. */
  door(door: number, reason: 20 | 23 | 24 | 44, push = true): UhppoteEvent {
    return this.#add({ type: EVENT_TYPES.door, granted: true, door, card: 0, reason }, push);
  }

  /** Warnings: 37 open too long, 38 forced open, 28 power on (not a door event). */
  warning(door: number, reason: 28 | 37 | 38, push = true): UhppoteEvent {
    return this.#add({ type: EVENT_TYPES.warning, granted: false, door, card: 0, reason }, push);
  }

  /** Sends an event again (controllers repeat status pushes). */
  repush(index: number): void {
    const e = this.log[index - 1];
    if (e) this.send(encodeEvent(e));
  }

  send(bytes: Uint8Array): void {
    this.#socket?.send(bytes, this.options.listener.port, this.options.listener.host);
  }

  #blank(index: number): UhppoteEvent {
    return { fn: FN_EVENT, serial: this.options.serial, index, type: EVENT_TYPES.none, granted: false, door: 0, direction: 1, card: 0, time: null, reason: 0 };
  }

  #add(e: Pick<UhppoteEvent, 'type' | 'granted' | 'door' | 'card' | 'reason'>, push = true): UhppoteEvent {
    const d = (this.options.now ?? (() => new Date()))();
    const time = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
    const ev: UhppoteEvent = { fn: FN_EVENT, serial: this.options.serial, index: this.log.length + 1, direction: 1, time, ...e };
    this.log.push(ev);
    if (push) this.send(encodeEvent(ev));
    return ev;
  }
}
