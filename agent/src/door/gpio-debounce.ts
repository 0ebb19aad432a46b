// Debounce for contact inputs: a level counts only after it has held for `ms`. Pure: time is
// passed in. A bounce that returns to the stable level within the window emits nothing.
export class Debouncer {
  /** null until the first level has held: nothing to compare a change against yet. */
  #stable: 0 | 1 | null;
  #candidate: 0 | 1 | null = null;
  #since = 0;
  /** Changes that returned to the stable level before the window ended. */
  bounces = 0;

  constructor(
    readonly ms: number,
    initial: 0 | 1 | null = null,
  ) {
    this.#stable = initial;
  }

  get level(): 0 | 1 | null {
    return this.#stable;
  }

  /**
   * A raw sample at `at`. Returns the new stable level when it changes, else null. The first
   * level to settle (from null) is the starting point, not a change: a contact read while it
   * bounces at start-up must not become an event.
   */
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
    if (at - this.#since < this.ms) return null;
    const first = this.#stable === null;
    this.#stable = value;
    this.#candidate = null;
    return first ? null : value;
  }

  /** When a pending change would settle (for a timer), or null. */
  deadline(): number | null {
    return this.#candidate === null ? null : this.#since + this.ms;
  }
}
