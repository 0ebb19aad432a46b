// One ffmpeg decoding a creative into raw frames at the screen's size and pixel format.
// Started ahead of time (pre-roll), it decodes the first frames and then blocks on the pipe
// (we stop reading), so the first frame is in memory when the door opens.
import { type ChildProcess, spawn } from 'node:child_process';
import { frameBytes, type ScreenProfile } from '../media/screen-profile.js';
import { FrameSplitter } from './frame-splitter.js';

export class DecoderError extends Error {
  override readonly name = 'DecoderError';
  constructor(
    readonly reason: 'ffmpeg-missing' | 'decode-failed',
    message: string,
  ) {
    super(message);
  }
}

export class Decoder {
  readonly #proc: ChildProcess;
  readonly #queue: Buffer[] = [];
  readonly #splitter: FrameSplitter;
  #waiter: ((f: Buffer | null) => void) | null = null;
  #ended = false;
  #error: DecoderError | null = null;
  #stderr = '';
  readonly startedAt = performance.now();

  constructor(
    readonly ffmpeg: string,
    readonly file: string,
    readonly profile: ScreenProfile,
    /** Frames to hold before pausing the pipe. */
    readonly buffered = 3,
    /** A still image shown for this long (an image has one frame; the fps filter needs a stream). */
    stillMs?: number,
  ) {
    this.#splitter = new FrameSplitter(frameBytes(profile));
    const { width, height, fps, pixelFormat } = profile;
    this.#proc = spawn(
      ffmpeg,
      ['-hide_banner', '-loglevel', 'error', '-nostdin', ...(stillMs ? ['-loop', '1', '-t', String(stillMs / 1000)] : []), '-i', file, '-an', '-vf', `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:-1:-1,fps=${fps}`, '-pix_fmt', pixelFormat, '-f', 'rawvideo', 'pipe:1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#proc.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      this.#fail(new DecoderError(code === 'ENOENT' ? 'ffmpeg-missing' : 'decode-failed', `cannot run ${ffmpeg} (${code ?? err.message})`));
    });
    this.#proc.stderr!.on('data', (d: Buffer) => {
      if (this.#stderr.length < 2000) this.#stderr += d.toString();
    });
    const out = this.#proc.stdout!;
    out.on('data', (chunk: Buffer) => {
      for (const f of this.#splitter.push(chunk)) {
        if (this.#waiter) {
          const w = this.#waiter;
          this.#waiter = null;
          w(f);
        } else this.#queue.push(f);
      }
      // Back-pressure: enough frames in hand, let ffmpeg block on its write.
      if (this.#queue.length >= this.buffered) out.pause();
    });
    this.#proc.on('close', (code) => {
      if (code !== 0 && code !== null && !this.#ended) this.#fail(new DecoderError('decode-failed', `ffmpeg exited ${code}: ${this.#stderr.trim().split('\n').pop() ?? ''}`));
      this.#ended = true;
      if (this.#waiter && this.#queue.length === 0) {
        const w = this.#waiter;
        this.#waiter = null;
        w(null);
      }
    });
  }

  /** Frames decoded and waiting. */
  get ready(): number {
    return this.#queue.length;
  }

  /** The next frame; null at the end of the clip. Rejects with DecoderError when ffmpeg fails. */
  next(): Promise<Buffer | null> {
    if (this.#queue.length > 0) {
      const f = this.#queue.shift()!;
      if (this.#queue.length < this.buffered) this.#proc.stdout?.resume();
      return Promise.resolve(f);
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(null);
    this.#proc.stdout?.resume();
    return new Promise((resolve, reject) => {
      this.#waiter = (f) => (this.#error && f === null ? reject(this.#error) : resolve(f));
    });
  }

  /** Resolves once the first frame is buffered (or the decoder failed/ended). */
  async primed(timeoutMs = 5000): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.#queue.length === 0 && !this.#ended && !this.#error && performance.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    return this.#queue.length > 0;
  }

  kill(): void {
    this.#ended = true;
    if (this.#proc.exitCode === null) this.#proc.kill('SIGKILL');
    this.#proc.stdout?.destroy();
  }

  #fail(err: DecoderError): void {
    if (this.#error) return;
    this.#error = err;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = null;
      w(null);
    }
  }
}
