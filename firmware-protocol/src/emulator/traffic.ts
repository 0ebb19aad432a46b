// Realistic, seeded unlock traffic for a community gate: morning 07:00–09:00 and evening
// 16:30–21:00 peaks, several doors, a card/QR/face mix, returning residents. Pure.
import type { Method } from '../constants.js';

/** mulberry32: small, fast, seedable; plenty for traffic shapes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Expected unlocks per hour at a mid-size gate, by local hour of day. */
export const HOURLY_PROFILE = [2, 1, 1, 1, 2, 6, 25, 70, 65, 20, 12, 14, 18, 14, 12, 14, 30, 55, 70, 60, 45, 30, 12, 5] as const;

export function ratePerHour(localMinuteOfDay: number, scale = 1): number {
  const h = Math.floor(localMinuteOfDay / 60) % 24;
  // 16:30 is the start of the evening peak: weight the half hour.
  const v = h === 16 && localMinuteOfDay % 60 < 30 ? 14 : HOURLY_PROFILE[h]!;
  return v * scale;
}

export interface Resident {
  credential: Uint8Array;
  method: Method;
}

export interface TrafficOptions {
  doors: number;
  residents: number;
  seed: number;
  /** Offset of the site's local time from UTC, minutes. */
  utcOffsetMin?: number;
  scale?: number;
}

export type PlannedEvent =
  | { at: number; kind: 'unlock'; door: number; method: Method; granted: boolean; reason: number; credential: Uint8Array }
  | { at: number; kind: 'door-state'; door: number; state: 'opened' | 'closed' | 'held-open' | 'forced-open' };

export class Traffic {
  readonly #rand: () => number;
  readonly residents: Resident[];

  constructor(readonly options: TrafficOptions) {
    this.#rand = prng(options.seed);
    const methods: Method[] = ['card', 'card', 'card', 'card', 'card', 'qr', 'qr', 'face', 'face', 'pin'];
    this.residents = Array.from({ length: options.residents }, (_, i) => {
      const method = methods[Math.floor(this.#rand() * methods.length)]!;
      const credential = method === 'qr' ? Buffer.from(`doorcast:qr:${100000 + i}`) : Buffer.from([0x04, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff]);
      return { credential, method };
    });
  }

  /** Poisson arrivals: the gap until the next unlock at time `at` (ms). */
  nextGapMs(at: number): number {
    const local = Math.floor((at / 60_000 + (this.options.utcOffsetMin ?? 0)) % 1440);
    const perMs = ratePerHour(local < 0 ? local + 1440 : local, this.options.scale ?? 1) / 3_600_000;
    return Math.max(1, Math.round(-Math.log(1 - this.#rand()) / perMs));
  }

  /** One passage at `at`: an unlock and, if granted, the door opening and closing. */
  passage(at: number): PlannedEvent[] {
    const r = this.#rand;
    const door = 1 + Math.floor(r() * this.options.doors);
    if (r() < 0.01) return [{ at, kind: 'door-state', door, state: 'forced-open' }];
    if (r() < 0.03) return [{ at, kind: 'unlock', door, method: 'exit-button', granted: true, reason: 0, credential: new Uint8Array() }, ...this.#doorCycle(at, door)];
    const who = this.residents[Math.floor(r() * this.residents.length)]!;
    const denied = r() < 0.04;
    const unlock: PlannedEvent = { at, kind: 'unlock', door, method: who.method, granted: !denied, reason: denied ? 1 + Math.floor(r() * 4) : 0, credential: who.credential };
    return denied ? [unlock] : [unlock, ...this.#doorCycle(at, door)];
  }

  #doorCycle(at: number, door: number): PlannedEvent[] {
    const r = this.#rand;
    const opened = at + 500 + Math.floor(r() * 1500);
    if (r() < 0.02) return [{ at: opened, kind: 'door-state', door, state: 'opened' }, { at: opened + 60_000, kind: 'door-state', door, state: 'held-open' }, { at: opened + 90_000, kind: 'door-state', door, state: 'closed' }];
    return [{ at: opened, kind: 'door-state', door, state: 'opened' }, { at: opened + 3000 + Math.floor(r() * 5000), kind: 'door-state', door, state: 'closed' }];
  }
}
