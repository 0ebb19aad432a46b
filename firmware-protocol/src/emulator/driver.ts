// Drives an emulator with Traffic in accelerated simulated time (speed × real time).
import type { ControllerEmulator } from './controller.js';
import type { PlannedEvent, Traffic } from './traffic.js';

export interface DriverOptions {
  /** Simulated ms per real ms. */
  speed: number;
  /** Simulated start time, Unix ms. */
  startAt: number;
  /** Stop after this many passages (unbounded when omitted). */
  maxPassages?: number;
}

export class TrafficDriver {
  readonly #queue: PlannedEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #realStart = 0;
  #nextPassageAt = 0;
  passages = 0;

  constructor(
    readonly emulator: ControllerEmulator,
    readonly traffic: Traffic,
    readonly options: DriverOptions,
  ) {}

  /** Simulated time now. */
  simNow(): number {
    return this.options.startAt + (Date.now() - this.#realStart) * this.options.speed;
  }

  start(): void {
    this.#realStart = Date.now();
    this.#nextPassageAt = this.options.startAt + this.traffic.nextGapMs(this.options.startAt);
    this.#timer = setInterval(() => this.#step(), 10);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #step(): void {
    const now = this.simNow();
    while (this.#nextPassageAt <= now && (this.options.maxPassages === undefined || this.passages < this.options.maxPassages)) {
      this.#queue.push(...this.traffic.passage(this.#nextPassageAt));
      this.passages++;
      this.#nextPassageAt += this.traffic.nextGapMs(this.#nextPassageAt);
    }
    this.#queue.sort((a, b) => a.at - b.at);
    while (this.#queue.length > 0 && this.#queue[0]!.at <= now) {
      const e = this.#queue.shift()!;
      if (e.kind === 'unlock') this.emulator.unlock(e);
      else this.emulator.doorState(e.door, e.state);
    }
  }
}
