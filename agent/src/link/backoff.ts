// Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
// Jitter"): delay = random(0, min(cap, base·2^attempt)), with a floor so a flapping link is
// not hammered. Pure: the random source is injected, so tests are deterministic.
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  floorMs?: number;
}

export class Backoff {
  #attempt = 0;
  constructor(
    readonly options: BackoffOptions,
    readonly random: () => number = Math.random,
  ) {
    if (!(options.baseMs > 0) || !(options.capMs >= options.baseMs)) {
      throw new TypeError('Backoff: baseMs must be > 0 and capMs >= baseMs');
    }
  }
  get attempts(): number {
    return this.#attempt;
  }
  next(): number {
    const ceiling = Math.min(this.options.capMs, this.options.baseMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.max(this.options.floorMs ?? 0, Math.round(this.random() * ceiling));
  }
  reset(): void {
    this.#attempt = 0;
  }
}
