// The pre-rolled player: the next likely creatives are already decoding (decoder.ts), so on an
// unlock the first frame goes to the sink at once; then frames follow at the creative's rate,
// drift-corrected. A new unlock interrupts the current play. Failures never escape: they are
// outcomes with a reason, and the caller falls back to the next creative or a still.

import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { ScreenProfile } from '../media/screen-profile.js';
import type { Logger } from '../obs/log.js';
import { Counter, Gauge, Histogram, metric, type Registry } from '../obs/metrics.js';
import { type AudioOutput, startAudio, stopAudio } from './audio.js';
import { Decoder, DecoderError, type DecoderFailure } from './decoder.js';
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

/** Why a play failed: the decoder's reasons, plus what the player itself detects. */
export type PlayFailure = DecoderFailure | 'unreadable' | 'sink' | 'no-frames' | 'stopped' | 'error';

export type PlayResult =
  | {
      outcome: 'completed' | 'interrupted';
      framesShown: number;
      framesExpected: number;
      /** Null when interrupted before the first frame. */
      firstFrameLatencyMs: number | null;
      prerolled: boolean;
    }
  | { outcome: 'failed'; framesShown: number; framesExpected: number; firstFrameLatencyMs: number | null; prerolled: boolean; reason: PlayFailure; detail: string };

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
  /** Audio output (off by default). */
  audio?: AudioOutput | null;
  /** A decoder started on the unlock must deliver its first frame within this (default 5 s). */
  firstFrameTimeoutMs?: number;
  /** Then each next frame within this (default 2 s); else the play fails as 'stalled'. */
  frameTimeoutMs?: number;
}

export class Player {
  readonly #o: PlayerOptions;
  readonly #ready = new Map<string, Decoder>();
  readonly #m;
  #current: { interrupt: () => void; done: Promise<PlayResult> } | undefined;
  #stopped = false;
  /** Audio processes started (tests). */
  audioStarts = 0;

  constructor(o: PlayerOptions) {
    this.#o = o;
    const r = o.registry;
    this.#m = {
      plays: metric(r, 'doorcast_plays_total', (registers) => new Counter({ name: 'doorcast_plays_total', help: 'Plays by outcome and whether the creative was pre-rolled', labelNames: ['outcome', 'prerolled'], registers })),
      failures: metric(r, 'doorcast_play_failures_total', (registers) => new Counter({ name: 'doorcast_play_failures_total', help: 'Failed plays by reason', labelNames: ['reason'], registers })),
      takes: metric(r, 'doorcast_preroll_takes_total', (registers) => new Counter({ name: 'doorcast_preroll_takes_total', help: 'Plays by pre-roll state at the unlock: ready (first frame in hand), warming (decoder still starting), miss', labelNames: ['state'], registers })),
      firstFrame: metric(r, 'doorcast_first_frame_seconds', (registers) => new Histogram({ name: 'doorcast_first_frame_seconds', help: 'Unlock to first frame on the sink', labelNames: ['prerolled'], buckets: [0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.5, 1, 2], registers })),
    };
    const ready = this.#ready;
    metric(r, 'doorcast_preroll_ready', (registers) => new Gauge({
      name: 'doorcast_preroll_ready',
      help: 'Pre-rolled creatives holding their first frame now',
      registers,
      collect() {
        this.set([...ready.values()].filter((d) => d.ready > 0).length);
      },
    }));
  }

  get playing(): boolean {
    return this.#current !== undefined;
  }

  /** Starts decoders for the creatives most likely next; drops the others and failed ones. */
  preroll(files: readonly string[]): void {
    if (this.#stopped) return;
    const want = files.slice(0, this.#o.prerollSlots ?? 2);
    for (const [f, d] of this.#ready) {
      if (!want.includes(f) || d.failed) {
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

  /**
   * Plays one creative; resolves with its outcome, never rejects. A play already running (or
   * still starting) is interrupted first, so two plays never share the sink.
   */
  play(req: PlayRequest): Promise<PlayResult> {
    // Taken at once, so a preroll() called right after this (for the play after) starts a
    // fresh decoder instead of keeping this one.
    const ready = this.#ready.get(req.file);
    this.#ready.delete(req.file);
    this.#m.takes.inc({ state: !ready ? 'miss' : ready.ready > 0 ? 'ready' : 'warming' });
    const ctl: Control = { interrupted: false, wake: null, decoder: ready ?? null };
    const previous = this.#current;
    previous?.interrupt();
    const done = (async () => {
      if (previous) await previous.done;
      return this.#run(req, ctl);
    })();
    const current = {
      interrupt: () => {
        ctl.interrupted = true;
        ctl.wake?.();
        // A decoder still starting up would hold the next play back: end it now.
        ctl.decoder?.kill();
      },
      done,
    };
    this.#current = current;
    void done.finally(() => {
      if (this.#current === current) this.#current = undefined;
    });
    return done;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.interrupt();
    for (const d of this.#ready.values()) d.kill();
    this.#ready.clear();
  }

  #expected(req: PlayRequest): number {
    const { profile } = this.#o;
    return Math.max(1, Math.round((Math.min(req.durationMs, profile.maxDurationMs) / 1000) * profile.fps));
  }

  /** Why this play cannot start, before any process is spawned; null when it can. */
  #refusal(req: PlayRequest, ctl: Control): { reason: PlayFailure; detail: string } | null {
    if (this.#stopped) return { reason: 'stopped', detail: 'the player is stopped' };
    if (ctl.decoder) return null;
    try {
      accessSync(req.file, constants.R_OK);
      return null;
    } catch (err) {
      return { reason: 'unreadable', detail: `cannot read ${req.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
  }

  async #run(req: PlayRequest, ctl: Control): Promise<PlayResult> {
    const { profile, sink, log } = this.#o;
    const expected = this.#expected(req);
    const prerolled = ctl.decoder !== null;
    let shown = 0;
    let firstFrameLatencyMs: number | null = null;
    const failed = (reason: PlayFailure, detail: string): PlayResult => {
      this.#m.plays.inc({ outcome: 'failed', prerolled: String(prerolled) });
      this.#m.failures.inc({ reason });
      log.warn({ impressionId: req.impressionId, file: req.file, reason, detail, framesShown: shown }, 'play failed');
      return { outcome: 'failed', framesShown: shown, framesExpected: expected, firstFrameLatencyMs, prerolled, reason, detail };
    };
    if (ctl.interrupted) {
      // Superseded by a newer unlock before it started: nothing shown, nothing spawned.
      ctl.decoder?.kill();
      this.#m.plays.inc({ outcome: 'interrupted', prerolled: String(prerolled) });
      return { outcome: 'interrupted', framesShown: 0, framesExpected: expected, firstFrameLatencyMs: null, prerolled };
    }
    const refused = this.#refusal(req, ctl);
    if (refused) return failed(refused.reason, refused.detail);
    let decoder: Decoder;
    try {
      decoder = ctl.decoder ?? new Decoder(this.#o.ffmpeg, req.file, profile, 3, req.still ? req.durationMs : undefined);
    } catch (err) {
      return failed('error', `cannot start ffmpeg: ${(err as Error).message}`);
    }
    ctl.decoder = decoder;
    const firstTimeout = this.#o.firstFrameTimeoutMs ?? 5000;
    const frameTimeout = this.#o.frameTimeoutMs ?? 2000;
    const cleanUp = () => {
      decoder.kill();
      stopAudio(ctl.audio);
    };
    try {
      onSink(sink, () => sink.begin({ id: req.impressionId, profile }));
      const frameMs = 1000 / profile.fps;
      let t0 = 0;
      while (shown < expected) {
        const frame = await decoder.next(shown === 0 ? firstTimeout : frameTimeout);
        if (frame === null || ctl.interrupted) break;
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
            ctl.wake = null;
            if (ctl.interrupted) break;
          }
        }
        onSink(sink, () => sink.write(frame, shown));
        if (shown === 0) {
          t0 = performance.now();
          firstFrameLatencyMs = t0 - req.unlockAt;
          this.#m.firstFrame.observe({ prerolled: String(prerolled) }, firstFrameLatencyMs / 1000);
          if (req.audio === 'on' && this.#o.audio) {
            ctl.audio = startAudio(this.#o.ffmpeg, req.file, this.#o.audio, log);
            if (ctl.audio) this.audioStarts++;
          }
        }
        shown++;
      }
      onSink(sink, () => sink.end());
    } catch (err) {
      cleanUp();
      try {
        sink.end();
      } catch {
        // The sink already failed; its error is the one reported.
      }
      if (err instanceof DecoderError) return failed(err.reason, err.message);
      if (err instanceof SinkError) return failed('sink', err.message);
      return failed('error', (err as Error).message);
    }
    cleanUp();
    if (shown === 0 && !ctl.interrupted) return failed('no-frames', 'the creative produced no frames');
    const outcome = ctl.interrupted ? 'interrupted' : 'completed';
    this.#m.plays.inc({ outcome, prerolled: String(prerolled) });
    return { outcome, framesShown: shown, framesExpected: expected, firstFrameLatencyMs, prerolled };
  }
}

/** Whatever a sink throws is the sink's failure (reason 'sink'), whichever error type it uses. */
function onSink(sink: FrameSink, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    throw err instanceof SinkError ? err : new SinkError(sink.kind, (err as Error).message);
  }
}
