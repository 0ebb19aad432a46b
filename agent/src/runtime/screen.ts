// The moment at the door: a dwell window opens → select() → the player → one impression with
// its counters, durable, then the uplink is nudged. Runs beside the door path, never in it:
// onWindow returns at once and every failure here is logged and counted, never thrown.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestBody } from '@doorcast/firmware-protocol/cloud';
import type { Clock } from '../clock/clock.js';
import type { DwellWindow } from '../door/dwell.js';
import type { Logger } from '../obs/log.js';
import { Counter, metric, type Registry } from '../obs/metrics.js';
import { toPlay } from '../player/impression.js';
import type { Player } from '../player/player.js';
import type { CounterDelta, Play, Stamp } from '../store/records.js';
import { type CampaignSet, parseCampaignSet } from '../targeting/campaign.js';
import { evaluateSegments } from '../targeting/segments.js';
import { type CompiledSet, compile, type Decision, type PacingState, type ResidentHistory, recordPacing, select } from '../targeting/select.js';
import { daysBefore, siteTime } from '../targeting/site-time.js';

export interface ScreenStore {
  recordPlay(play: Play, stamp: Stamp, counters: readonly CounterDelta[]): number;
  recordPassage(pseudonym: string, atMs: number, door: string): void;
  passagesOf(pseudonym: string, sinceMs: number): { atMs: number; door: string }[];
  counters: { read(pseudonym: string, sinceDay: string): ResidentHistory };
}

export interface ScreenOptions {
  player: Player;
  store: ScreenStore;
  clock: Clock;
  timeZone: string;
  /** This device's site, for campaigns scoped to sites. */
  site: string;
  /** Where creatives live, by content hash: <dir>/<sha256>.mp4 (the cache's ready files). */
  creativesDir: string;
  /** Door id → controller door number (the impression's door). */
  doorNumber(door: string): number;
  expectedRemainingMs(door: string, now: number): number;
  /** A creative was just played (the cache keeps recently played ones longest). */
  played?(sha256: string): void;
  /** Shown (one frame, no impression) when nothing could play. */
  stillImage?: string;
  /** A new impression is in the outbox (the uplink sends it). */
  onImpression?(): void;
  log: Logger;
  registry: Registry;
}

export class Screen {
  readonly #o: ScreenOptions;
  readonly #m;
  #set: CompiledSet | null = null;
  #consent = new Set<string>();
  #optOuts = new Set<string>();
  #pacing: PacingState = { day: '', byTier: {}, byCampaign: {} };
  readonly #lastAtDoor = new Map<string, string>();
  readonly #inFlight = new Set<Promise<void>>();

  constructor(o: ScreenOptions) {
    this.#o = o;
    const r = o.registry;
    this.#m = {
      decisions: metric(r, 'doorcast_decisions_total', (registers) => new Counter({ name: 'doorcast_decisions_total', help: 'Targeting decisions, by result', labelNames: ['result'], registers })),
      failures: metric(r, 'doorcast_screen_failures_total', (registers) => new Counter({ name: 'doorcast_screen_failures_total', help: 'Plays that could not happen, by reason', labelNames: ['reason'], registers })),
    };
  }

  get campaigns(): CampaignSet | null {
    return this.#set?.set ?? null;
  }

  /** A campaign set from a manifest (or a local file): validated, or refused and the last kept. */
  setCampaigns(value: unknown, consent: readonly string[] = [], optOuts: readonly string[] = []): boolean {
    try {
      this.#set = compile(parseCampaignSet(value));
      this.#consent = new Set(consent);
      this.#optOuts = new Set(optOuts);
      this.#preroll();
      return true;
    } catch (err) {
      this.#m.failures.inc({ reason: 'campaign-set' });
      this.#o.log.error({ err: (err as Error).message }, 'campaign set refused; keeping the last good one');
      return false;
    }
  }

  fromManifest(m: ManifestBody): void {
    this.setCampaigns({ ...(m.campaignSet as object), segmentRules: m.segmentRules, quietHours: m.quietHours }, m.consent, m.optOuts);
  }

  /** From DwellTracker: never blocks the door path. */
  opened(w: DwellWindow): void {
    const unlockAt = performance.now();
    // Not queued behind the previous unlock's bookkeeping: play() interrupts the current play
    // and the new one starts as soon as that stops; the old impression is recorded meanwhile.
    const serving = this.#serve(w, unlockAt).catch((err: Error) => {
      this.#m.failures.inc({ reason: 'error' });
      this.#o.log.error({ err: err.message }, 'screen failed for this unlock; door handling unaffected');
    });
    this.#inFlight.add(serving);
    void serving.finally(() => this.#inFlight.delete(serving));
  }

  async idle(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }

  #file(sha256: string): string | null {
    const f = join(this.#o.creativesDir, `${sha256}.mp4`);
    return existsSync(f) ? f : null;
  }

  async #serve(w: DwellWindow, unlockAt: number): Promise<void> {
    const o = this.#o;
    if (!this.#set) return;
    const now = Date.now();
    const consent = w.pseudonym !== null && this.#consent.has(w.pseudonym) && !this.#optOuts.has(w.pseudonym);
    let history: ResidentHistory | null = null;
    let segments: string[] = [];
    if (consent && w.pseudonym) {
      // History is personal data: kept and used only with consent (DESIGN.md rule 5).
      o.store.recordPassage(w.pseudonym, w.openedAt, w.door);
      const today = siteTime(now, o.timeZone).day;
      history = o.store.counters.read(w.pseudonym, daysBefore(today, 27));
      segments = evaluateSegments(o.store.passagesOf(w.pseudonym, now - 28 * 86_400_000), this.#set.set.segmentRules, now, o.timeZone);
    }
    const ctx = { nowMs: now, timeZone: o.timeZone, site: o.site, door: w.door, remainingDwellMs: o.expectedRemainingMs(w.door, now), pseudonym: w.pseudonym, consent, segments, lastCreativeAtDoor: this.#lastAtDoor.get(w.door) ?? null };
    let decision = select(ctx, this.#set, history, this.#pacing);
    const wanted = decision.kind === 'play';
    let shown = false;
    for (let attempt = 0; attempt < 2 && decision.kind === 'play'; attempt++) {
      const decisionLatencyMs = performance.now() - unlockAt;
      const file = this.#file(decision.creative.sha256);
      if (!file) {
        this.#m.failures.inc({ reason: 'creative-missing' });
        o.log.warn({ creative: decision.creative.id, sha256: decision.creative.sha256 }, 'creative not in the cache; trying another');
      } else {
        this.#m.decisions.inc({ result: 'play' });
        // One id for the play and its impression: the snapshot log's proof of play names it.
        const impressionId = randomUUID();
        const playing = o.player.play({ impressionId, file, durationMs: decision.creative.durationMs, unlockAt, audio: decision.audio });
        // Pre-roll the next likely creative while this one plays (the next unlock may come
        // before it ends), once this play's first frame is out: spawning costs milliseconds.
        const id = decision.creative.id;
        setImmediate(() => this.#prerollAfter(w.door, id));
        const result = await playing;
        // When this play was interrupted by the next unlock, that play's first frame is due in
        // the same turn of the event loop: let it out before this record's fsync.
        await new Promise((r) => setImmediate(r));
        this.#record(w, decision, result, consent, decisionLatencyMs, impressionId);
        if (result.framesShown > 0 || result.outcome === 'interrupted') {
          shown = true;
          break;
        }
      }
      // Fall back once: the same decision without the creative that could not play.
      decision = select({ ...ctx, lastCreativeAtDoor: decision.creative.id }, this.#set, history, this.#pacing);
    }
    if (decision.kind === 'none') this.#m.decisions.inc({ result: 'none' });
    if (wanted && !shown && o.stillImage && existsSync(o.stillImage)) {
      // Nothing could play: a still, not a dark screen. Not an impression: nobody bought it.
      this.#m.failures.inc({ reason: 'still-shown' });
      await o.player.play({ impressionId: randomUUID(), file: o.stillImage, durationMs: Math.min(o.expectedRemainingMs(w.door, Date.now()) || 3000, 10_000), unlockAt, still: true });
    }
    this.#preroll();
  }

  #record(w: DwellWindow, d: Extract<Decision, { kind: 'play' }>, result: Awaited<ReturnType<Player['play']>>, consent: boolean, decisionLatencyMs: number, impressionId: string): void {
    const o = this.#o;
    const { play, counters } = toPlay(
      { impressionId, campaignId: d.campaign, creativeId: d.creative.id, door: o.doorNumber(w.door), pseudonym: consent ? w.pseudonym : null, segments: d.segmentsUsed, decisionLatencyMs, day: d.day },
      result,
    );
    try {
      o.store.recordPlay(play, o.clock.stamp(), counters);
    } catch (err) {
      this.#m.failures.inc({ reason: 'store' });
      o.log.error({ err: (err as Error).message }, 'impression not stored');
      return;
    }
    if (result.framesShown > 0) {
      o.played?.(d.creative.sha256);
      this.#pacing = recordPacing(this.#pacing, d);
      this.#lastAtDoor.set(w.door, d.creative.id);
    }
    o.onImpression?.();
  }

  #prerollAfter(door: string, playing: string): void {
    this.#lastAtDoor.set(door, playing);
    this.#preroll();
  }

  /** Pre-roll what an anonymous unlock would get next at each door that has played. */
  #preroll(): void {
    if (!this.#set) return;
    const now = Date.now();
    const files = new Set<string>();
    const doors = this.#lastAtDoor.size > 0 ? [...this.#lastAtDoor.keys()] : [''];
    for (const door of doors) {
      const d = select({ nowMs: now, timeZone: this.#o.timeZone, site: this.#o.site, door, remainingDwellMs: this.#o.expectedRemainingMs(door, now) || 8000, pseudonym: null, consent: false, segments: [], lastCreativeAtDoor: this.#lastAtDoor.get(door) ?? null }, this.#set, null, this.#pacing);
      const f = d.kind === 'play' ? this.#file(d.creative.sha256) : null;
      if (f) files.add(f);
    }
    this.#o.player.preroll([...files]);
  }
}
