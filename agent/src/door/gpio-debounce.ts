// Debounce for contact inputs: a level counts only after it has held for `ms`. Pure: time is
// passed in. A bounce that returns to the stable level within the window emits nothing.
export class Debouncer {
  #stable: 0 | 1;
  #candidate: 0 | 1 | null = null;
  #since = 0;
  bounces = 0;

  constructor(
    readonly ms: number,
    initial: 0 | 1,
  ) {
    this.#stable = initial;
  }

  get level(): 0 | 1 {
    return this.#stable;
  }

  /** A raw sample at `at`. Returns the new stable level when it changes, else null. */
  sample(value: 0 | 1, at: number): 0 | 1 | null {
    if (value === this.#stable) {
      if (this.#candidate !== null) this.bounces++;
      this.#candidate = null;
      return null;
    }
    if (this.#candidate !== value) {
      this.#candidate = value;
      this.#since = at;
    }
    if (at - this.#since >= this.ms) {
      this.#stable = value;
      this.#candidate = null;
      return value;
    }
    return null;
  }

  /** When a pending change would settle (for a timer), or null. */
  deadline(): number | null {
    return this.#candidate === null ? null : this.#since + this.ms;
  }
}
