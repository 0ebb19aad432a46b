// Raw video arrives from a pipe in chunks of any size; frames are fixed-size. Pure.
export class FrameSplitter {
  #partial: Buffer | null = null;
  #filled = 0;

  constructor(readonly frameBytes: number) {
    if (!(frameBytes > 0)) throw new RangeError('frameBytes must be > 0');
  }

  /** Every whole frame completed by `chunk`, in order; the remainder waits for the next chunk. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.#partial === null && this.#filled === 0 && chunk.length - at >= this.frameBytes) {
        // Whole frame inside the chunk: copy it out (the pipe reuses its buffers).
        out.push(Buffer.from(chunk.subarray(at, at + this.frameBytes)));
        at += this.frameBytes;
        continue;
      }
      this.#partial ??= Buffer.allocUnsafe(this.frameBytes);
      const n = Math.min(this.frameBytes - this.#filled, chunk.length - at);
      chunk.copy(this.#partial, this.#filled, at, at + n);
      this.#filled += n;
      at += n;
      if (this.#filled === this.frameBytes) {
        out.push(this.#partial);
        this.#partial = null;
        this.#filled = 0;
      }
    }
    return out;
  }

  /** Bytes of an unfinished frame (a truncated stream leaves some). */
  get pending(): number {
    return this.#filled;
  }
}
