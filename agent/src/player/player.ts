// The pre-rolled player: the next likely creatives are already decoding (decoder.ts), so on an
// unlock the first frame goes to the sink at once; then frames follow at the creative's rate,
// drift-corrected. A new unlock interrupts the current play. Failures never escape: they are
// outcomes, and the caller falls back to the next creative.

import { type ChildProcess, spawn } from 'node:child_process';
import type { ScreenProfile } from '../media/screen-profile.js';
import type { Logger } from '../obs/log.js';
import { Counter, Histogram, metric, type Registry } from '../obs/metrics.js';
import { Decoder, DecoderError } from './decoder.js';
import { type FrameSink, SinkError } from './sink.js';

export interface PlayRequest {
  impressionId: string;
  file: string;
  /** Creative length; framesExpected = duration × fps (capped by the profile's maxDurationMs). */
  durationMs: number;
  /** performance.now() of the unlock (for first-frame latency). */
  unlockAt: number;
  /** An image (not a clip) shown for durationMs: the fallback when no creative can play. */
  still?: boolean;
  /** 'muted' in quiet hours; audio plays only when the player has an audio output too. */
  audio?: 'on' | 'muted';
}

export type PlayResult =
  | { outcome: 'completed' | 'interrupted'; framesShown: number; framesExpected: number; firstFrameLatencyMs: number; prerolled: boolean }
  | { outcome: 'failed'; framesShown: number; framesExpected: number; firstFrameLatencyMs: number | null; prerolled: boolean; reason: string; detail: string };

interface Control {
  audio?: ChildProcess | null;
  interrupted: boolean;
  wake: (() => void) | null;
  decoder: Decoder | null;
}

export interface PlayerOptions {
  ffmpeg: string;
  profile: ScreenProfile;
  sink: FrameSink;
  log: Logger;
  registry: Registry;
  /** How many creatives to keep pre-rolled. */
  prerollSlots?: number;
  /** Audio output (off by default): an ALSA device, or 'null' to decode and discard (tests). */
  audio?: { device: string } | null;
}

export class Player {
  readonly #o: PlayerOptions;
  readonly #ready = new Map<string, Decoder>();
  readonly #m;
  #current: { interrupt: () => void; done: Promise<PlayResult> } | undefined;
  #stopped = false;

  constructor(o: PlayerOptions) {
    this.#o = o;
    const r = o.registry;
    this.#m = {
      plays: metric(r, 'doorcast_plays_total', (registers) => new Counter({ name: 'doorcast_plays_total', help: 'Plays by outcome and whether the creative was pre-rolled', labelNames: ['outcome', 'prerolled'], registers })),
      firstFrame: metric(r, 'doorcast_first_frame_seconds', (registers) => new Histogram({ name: 'doorcast_first_frame_seconds', help: 'Unlock to first frame on the sink', labelNames: ['prerolled'], buckets: [0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.5, 1, 2], registers })),
    };
  }

  get playing(): boolean {
    return this.#current !== undefined;
  }

  /** Starts decoders for the creatives most likely next; drops the others. */
  preroll(files: readonly string[]): void {
    if (this.#stopped) return;
    const want = files.slice(0, this.#o.prerollSlots ?? 2);
    for (const [f, d] of this.#ready) {
      if (!want.includes(f)) {
        d.kill();
        this.#ready.delete(f);
      }
    }
    for (const f of want) if (!this.#ready.has(f)) this.#ready.set(f, new Decoder(this.#o.ffmpeg, f, this.#o.profile));
  }

  prerolled(file: string): boolean {
    return this.#ready.has(file);
  }

  /** Waits until every pre-rolled decoder holds its first frame (tests, benchmarks). */
  async primed(): Promise<void> {
    await Promise.all([...this.#ready.values()].map((d) => d.primed()));
  }

  /** Ends the current play (recorded as interrupted). */
  async interrupt(): Promise<void> {
    const c = this.#current;
    if (!c) return;
    c.interrupt();
    await c.done;
  }

  async play(req: PlayRequest): Promise<PlayResult> {
    // Taken at once, so a preroll() called right after this (for the play after) starts a
    // fresh decoder instead of keeping this one.
    const ready = this.#ready.get(req.file);
    this.#ready.delete(req.file);
    await this.interrupt();
    const ctl: Control = { interrupted: false, wake: null, decoder: ready ?? null };
    const done = this.#run(req, ctl);
    this.#current = {
      interrupt: () => {
        ctl.interrupted = true;
        ctl.wake?.();
        // A decoder still starting up would hold the next play back: end it now.
        ctl.decoder?.kill();
      },
      done,
    };
    try {
      return await done;
    } finally {
      if (this.#current?.done === done) this.#current = undefined;
    }
  }

  /** Audio processes started (tests). */
  audioStarts = 0;

  #startAudio(file: string, device: string): ChildProcess | null {
    const out = device === 'null' ? ['-f', 'null', '-'] : ['-f', 'alsa', device];
    try {
      const p = spawn(this.#o.ffmpeg, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', file, '-vn', ...out], { stdio: 'ignore' });
      p.on('error', (err) => this.#o.log.warn({ err: err.message }, 'audio did not start; video plays on'));
      this.audioStarts++;
      return p;
    } catch (err) {
      this.#o.log.warn({ err: (err as Error).message }, 'audio did not start; video plays on');
      return null;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.interrupt();
    if (this.#stopped) this.#current = undefined;
    for (const d of this.#ready.values()) d.kill();
    this.#ready.clear();
  }

  async #run(req: PlayRequest, ctl: Control): Promise<PlayResult> {
    const isInterrupted = () => ctl.interrupted;
    const { profile, sink, log } = this.#o;
    const expected = Math.max(1, Math.round((Math.min(req.durationMs, profile.maxDurationMs) / 1000) * profile.fps));
    const prerolled = ctl.decoder !== null;
    const decoder = ctl.decoder ?? new Decoder(this.#o.ffmpeg, req.file, profile, 3, req.still ? req.durationMs : undefined);
    ctl.decoder = decoder;
    let shown = 0;
    let firstFrameLatencyMs: number | null = null;
    const failed = (reason: string, detail: string): PlayResult => {
      this.#m.plays.inc({ outcome: 'failed', prerolled: String(prerolled) });
      log.warn({ impressionId: req.impressionId, reason, detail, framesShown: shown }, 'play failed');
      return { outcome: 'failed', framesShown: shown, framesExpected: expected, firstFrameLatencyMs, prerolled, reason, detail };
    };
    try {
      sink.begin({ id: req.impressionId, profile });
      const frameMs = 1000 / profile.fps;
      let t0 = 0;
      while (shown < expected) {
        const frame = await decoder.next();
        if (frame === null) break;
        if (isInterrupted()) break;
        if (shown > 0) {
          // Drift-corrected pacing: frame i is due at t0 + i / fps.
          const wait = t0 + shown * frameMs - performance.now();
          if (wait > 1) {
            await new Promise<void>((r) => {
              const timer = setTimeout(r, wait);
              ctl.wake = () => {
                clearTimeout(timer);
                r();
              };
            });
            if (isInterrupted()) break;
          }
        }
        sink.write(frame, shown);
        if (shown === 0) {
          // Sound starts with the picture; its own process, so a bad audio track never stalls video.
          if (req.audio === 'on' && this.#o.audio) ctl.audio = this.#startAudio(req.file, this.#o.audio.device);
          t0 = performance.now();
          firstFrameLatencyMs = t0 - req.unlockAt;
          this.#m.firstFrame.observe({ prerolled: String(prerolled) }, firstFrameLatencyMs / 1000);
        }
        shown++;
      }
      sink.end();
    } catch (err) {
      sink.end();
      decoder.kill();
      if (ctl.audio && ctl.audio.exitCode === null) ctl.audio.kill('SIGKILL');
      if (err instanceof DecoderError) return failed(err.reason, err.message);
      if (err instanceof SinkError) return failed('sink', err.message);
      return failed('error', (err as Error).message);
    }
    decoder.kill();
    if (ctl.audio && ctl.audio.exitCode === null) ctl.audio.kill('SIGKILL');
    if (shown === 0 && !isInterrupted()) return failed('no-frames', 'the creative produced no frames');
    const outcome = isInterrupted() ? 'interrupted' : 'completed';
    this.#m.plays.inc({ outcome, prerolled: String(prerolled) });
    return { outcome, framesShown: shown, framesExpected: expected, firstFrameLatencyMs: firstFrameLatencyMs ?? 0, prerolled };
  }
}
