// One ffmpeg decoding a creative into raw frames at the screen's size and pixel format.
// Started ahead of time (pre-roll), it decodes the first frames and then blocks on the pipe
// (we stop reading), so the first frame is in memory when the door opens.
import { type ChildProcess, spawn } from 'node:child_process';
import { frameBytes, type ScreenProfile } from '../media/screen-profile.js';
import { FrameSplitter } from './frame-splitter.js';

export type DecoderFailure = 'ffmpeg-missing' | 'decode-failed' | 'stalled';

export class DecoderError extends Error {
  override readonly name = 'DecoderError';
  constructor(
    readonly reason: DecoderFailure,
    message: string,
    readonly context: { file: string; exitCode?: number | null } = { file: '' },
  ) {
    super(message);
  }
}

/** The ffmpeg arguments: raw frames on stdout at the profile's size, rate and pixel format. */
export function decoderArgs(file: string, profile: ScreenProfile, stillMs?: number): string[] {
  const { width, height, fps, pixelFormat } = profile;
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    // An image has one frame; looped for stillMs it becomes a stream the fps filter can pace.
    ...(stillMs ? ['-loop', '1', '-t', String(stillMs / 1000)] : []),
    '-i',
    file,
    '-an',
    // A no-op for creatives the cache already transcoded to the screen; letterboxes the rest.
    '-vf',
    `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:-1:-1,fps=${fps}`,
    '-pix_fmt',
    pixelFormat,
    '-f',
    'rawvideo',
    'pipe:1',
  ];
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
    /** A still image shown for this long. */
    stillMs?: number,
  ) {
    this.#splitter = new FrameSplitter(frameBytes(profile));
    this.#proc = spawn(ffmpeg, decoderArgs(file, profile, stillMs), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#proc.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      this.#fail(new DecoderError(code === 'ENOENT' ? 'ffmpeg-missing' : 'decode-failed', `cannot run ${ffmpeg} (${code ?? err.message})`, { file }));
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
      if (code !== 0 && code !== null && !this.#ended) {
        const last = this.#stderr.trim().split('\n').pop() ?? '';
        this.#fail(new DecoderError('decode-failed', `ffmpeg exited ${code}: ${last}`, { file, exitCode: code }));
      }
      this.#ended = true;
      this.#settle(null);
    });
  }

  /** Frames decoded and waiting. */
  get ready(): number {
    return this.#queue.length;
  }

  /** Whether the decoder has failed (a pre-rolled one is then replaced). */
  get failed(): boolean {
    return this.#error !== null;
  }

  /**
   * The next frame; null at the end of the clip. Rejects with DecoderError when ffmpeg fails,
   * or ('stalled') when no frame comes within timeoutMs: a hung decoder must not hold the screen.
   */
  next(timeoutMs = Number.POSITIVE_INFINITY): Promise<Buffer | null> {
    if (this.#queue.length > 0) {
      const f = this.#queue.shift()!;
      if (this.#queue.length < this.buffered) this.#proc.stdout?.resume();
      return Promise.resolve(f);
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(null);
    this.#proc.stdout?.resume();
    return new Promise((resolve, reject) => {
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            this.#fail(new DecoderError('stalled', `no frame from ffmpeg within ${Math.round(timeoutMs)} ms`, { file: this.file }));
            this.kill();
          }, timeoutMs)
        : null;
      this.#waiter = (f) => {
        if (timer) clearTimeout(timer);
        if (this.#error && f === null) reject(this.#error);
        else resolve(f);
      };
    });
  }

  /** Resolves once the first frame is buffered (or the decoder failed/ended). */
  async primed(timeoutMs = 5000): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.#queue.length === 0 && !this.#ended && !this.#error && performance.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    return this.#queue.length > 0;
  }

  /** Ends ffmpeg; a next() waiting gets null at once (an interrupt never waits for the exit). */
  kill(): void {
    this.#ended = true;
    if (this.#proc.exitCode === null && this.#proc.signalCode === null) this.#proc.kill('SIGKILL');
    this.#proc.stdout?.destroy();
    this.#queue.length = 0;
    this.#settle(null);
  }

  #settle(f: Buffer | null): void {
    const w = this.#waiter;
    if (!w || (f === null && this.#queue.length > 0)) return;
    this.#waiter = null;
    w(f);
  }

  #fail(err: DecoderError): void {
    if (this.#error) return;
    this.#error = err;
    this.#settle(null);
  }
}
