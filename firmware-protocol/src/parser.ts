// A stream.Transform that turns arbitrary byte chunks into typed doorlink messages and
// typed FrameErrors, in objectMode, so it composes with pipeline(). Resync follows
// PROTOCOL.md §2.7: on a bad header, bad length or bad CRC, drop one byte and rescan from
// the next SOM inside the bytes already held, so a valid frame hidden in garbage is kept.
import { Transform, type TransformCallback } from 'node:stream';
import { HEADER_LENGTH, MAX_FRAME_LENGTH, MIN_FRAME_LENGTH, SOM, Timing } from './constants.js';
import { FrameError } from './errors.js';
import { crcOk, decodeFrame, frameLength, headerOk, lengthOk } from './frame.js';
import type { Message } from './message.js';

export type Decoded = { kind: 'message'; message: Message } | { kind: 'error'; error: FrameError };

export interface ParserCounters {
  bytesIn: number;
  /** Bytes of CRC-valid frames, including ones rejected for version, type or payload. */
  frameBytes: number;
  /** Bytes that belonged to no CRC-valid frame. */
  discardedBytes: number;
  messages: number;
  garbage: number;
  crc: number;
  length: number;
  truncated: number;
  version: number;
  'unknown-type': number;
  'bad-payload': number;
}

export interface ParserOptions {
  /** Largest frame accepted; at most MAX_FRAME_LENGTH. The buffer never holds more than this. */
  maxFrameLength?: number;
  /** Abandon a partial frame after this much silence; 0 disables. */
  interByteTimeoutMs?: number;
}

const EMPTY = Buffer.alloc(0);

export class DoorlinkParser extends Transform {
  readonly counters: ParserCounters = {
    bytesIn: 0,
    frameBytes: 0,
    discardedBytes: 0,
    messages: 0,
    garbage: 0,
    crc: 0,
    length: 0,
    truncated: 0,
    version: 0,
    'unknown-type': 0,
    'bad-payload': 0,
  };
  readonly #max: number;
  readonly #timeoutMs: number;
  #held: Buffer = EMPTY;
  #garbageRun = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ParserOptions = {}) {
    super({ readableObjectMode: true });
    const max = options.maxFrameLength ?? MAX_FRAME_LENGTH;
    if (!Number.isInteger(max) || max < MIN_FRAME_LENGTH || max > MAX_FRAME_LENGTH) {
      throw new TypeError(`maxFrameLength must be an integer in ${MIN_FRAME_LENGTH}..${MAX_FRAME_LENGTH}`);
    }
    const timeout = options.interByteTimeoutMs ?? Timing.interByteTimeoutMs;
    if (!(timeout >= 0)) throw new TypeError('interByteTimeoutMs must be >= 0');
    this.#max = max;
    this.#timeoutMs = timeout;
  }

  /** Bytes held waiting for the rest of a frame (always < maxFrameLength). */
  get buffered(): number {
    return this.#held.length;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.counters.bytesIn += chunk.length;
    // One concat per chunk at most, and only of a held partial frame (< max bytes).
    this.#scan(this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]), false);
    done();
  }

  override _flush(done: TransformCallback): void {
    this.#scan(this.#held, true);
    done();
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    this.#clearTimer();
    done(err);
  }

  /** Scans buf from the start; `final` means no more bytes will come for what is held. */
  #scan(buf: Buffer, final: boolean): void {
    this.#clearTimer();
    let i = 0;
    while (i < buf.length) {
      const som = buf.indexOf(SOM, i);
      if (som < 0) {
        this.#garbageRun += buf.length - i;
        i = buf.length;
        break;
      }
      this.#garbageRun += som - i;
      i = som;
      const avail = buf.length - i;
      if (avail < HEADER_LENGTH) {
        if (!final) break;
        this.#garbageRun += avail;
        i = buf.length;
        break;
      }
      if (!headerOk(buf, i)) {
        this.#garbageRun++;
        i++;
        continue;
      }
      const len = frameLength(buf, i);
      if (!lengthOk(len, this.#max)) {
        this.#reject(new FrameError('length', `header announces ${len} bytes, allowed ${MIN_FRAME_LENGTH}..${this.#max}`, 1, { length: len }));
        i++;
        continue;
      }
      if (avail < len) {
        if (!final) break;
        this.#reject(new FrameError('truncated', `frame of ${len} bytes cut after ${avail}`, 1, { length: len, got: avail }));
        i++;
        continue;
      }
      if (!crcOk(buf, i, len)) {
        this.#reject(new FrameError('crc', `frame CRC mismatch (${len} bytes), resyncing`, 1, { length: len }));
        i++;
        continue;
      }
      this.#flushGarbage();
      const at = i;
      i += len;
      this.counters.frameBytes += len;
      try {
        const message = decodeFrame(buf, at, len);
        this.counters.messages++;
        this.push({ kind: 'message', message } satisfies Decoded);
      } catch (err) {
        if (!(err instanceof FrameError)) throw err;
        this.counters[err.code]++;
        this.push({ kind: 'error', error: err } satisfies Decoded);
      }
    }
    this.#flushGarbage();
    // Copy what is held so a large chunk is not retained; it is shorter than one frame.
    this.#held = i >= buf.length ? EMPTY : Buffer.from(buf.subarray(i));
    if (this.#held.length > 0 && this.#timeoutMs > 0 && !final) {
      this.#timer = setTimeout(() => this.#onSilence(), this.#timeoutMs);
      this.#timer.unref();
    }
  }

  #onSilence(): void {
    this.#timer = undefined;
    if (this.#held.length > 0 && !this.writableEnded && !this.destroyed) this.#scan(this.#held, true);
  }

  /** A rejection that discards `error.bytes` bytes (one SOM) before rescanning. */
  #reject(error: FrameError): void {
    this.#flushGarbage();
    this.counters.discardedBytes += error.bytes;
    this.counters[error.code]++;
    this.push({ kind: 'error', error } satisfies Decoded);
  }

  #flushGarbage(): void {
    if (this.#garbageRun === 0) return;
    const n = this.#garbageRun;
    this.#garbageRun = 0;
    this.counters.discardedBytes += n;
    this.counters.garbage++;
    this.push({ kind: 'error', error: new FrameError('garbage', `${n} bytes outside any frame discarded`, n) } satisfies Decoded);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
