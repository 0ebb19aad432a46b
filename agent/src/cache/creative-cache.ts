// The creative cache: every creative of the current manifest fetched by hash (resumable,
// size-capped, verified: download.ts), probed and transcoded once to the screen profile, and
// kept on a bounded disk with least-recently-played eviction of what the manifest no longer
// names. A file that fails its hash or cannot be played is quarantined, counted and not
// fetched again until a backoff passes. The player only ever finds complete files.
// CLOUD-LINK.md §7; DESIGN.md rules 3 and 4.
import { existsSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ManifestCreative, ManifestCreativeSchema } from '@doorcast/firmware-protocol/cloud';
import { locate } from '../media/ffmpeg.js';
import { MediaError } from '../media/media-error.js';
import { probe } from '../media/probe.js';
import type { ScreenProfile } from '../media/screen-profile.js';
import { profileKey, transcode } from '../media/transcode.js';
import { type Logger, silentLogger } from '../obs/log.js';
import type { Registry } from '../obs/metrics.js';
import { type CacheIndex, chooseEvictions, loadIndex, rejectionBackoffMs, saveIndex, totalBytes } from './cache-index.js';
import { cacheMetrics } from './cache-metrics.js';
import { download } from './download.js';
import { CacheError, type CacheErrorCode } from './errors.js';
import { CacheLayout, fileSize } from './layout.js';
import { type CacheProgress, ProgressReporter } from './progress.js';
import { type QuarantineLimits, quarantineFile } from './quarantine.js';

/** Profile key of ready files found on disk without an index entry. */
const ADOPTED = 'adopted';

export interface CacheOptions {
  root: string;
  /** Where the player looks for <sha256>.mp4; default <root>/ready. */
  readyDir?: string;
  profile: ScreenProfile;
  /** Budget for transcoded creatives; past it, creatives outside the current set are evicted. */
  maxBytes: number;
  /** Paths of the tools; default: located (FfmpegNotFoundError when absent). */
  ffmpeg?: string;
  ffprobe?: string;
  /** Basic auth for the broker's creative server (the device credential), sent to its origin only. */
  auth?: { username: string; password: string };
  log?: Logger;
  registry: Registry;
  now?: () => number;
  /** Creatives fetched and transcoded at once (1–2: the Pi also plays video). Default 1. */
  concurrency?: 1 | 2;
  /** Transient failures (network, timeout, 5xx) retried within one sync, resuming. */
  retry?: { attempts: number; baseDelayMs: number };
  /** After a sync that left transient failures, the whole set is tried again after this (doubling, ≤ 30 min). */
  resyncAfterMs?: number;
  idleTimeoutMs?: number;
  quarantine?: QuarantineLimits;
  onProgress?: (p: CacheProgress) => void;
  /** Every finished sync, including the retries the cache starts itself. */
  onSynced?: (r: SyncReport) => void;
}

export interface CreativeInfo {
  durationMs: number | null;
  width: number | null;
  height: number | null;
  fps: number | null;
}

export interface SyncReport {
  ready: string[];
  fetched: string[];
  failed: { sha256: string; code: CacheErrorCode | 'backoff'; reason: string }[];
  evicted: string[];
  /** > 0 when the current set alone exceeds maxBytes (it is kept regardless). */
  overBudgetBytes: number;
}

export class CreativeCache {
  readonly #o: CacheOptions;
  readonly #log: Logger;
  readonly #layout: CacheLayout;
  readonly #key: string;
  readonly #ffmpeg: string;
  readonly #ffprobe: string;
  readonly #index: CacheIndex;
  readonly #abort = new AbortController();
  readonly #m;
  readonly #progress: ProgressReporter;
  #current = new Set<string>();
  #chain: Promise<unknown> = Promise.resolve();
  #dirty = false;
  #savedAt = 0;
  #resync: { timer: NodeJS.Timeout | null; delayMs: number } = { timer: null, delayMs: 0 };

  constructor(o: CacheOptions) {
    if (!(Number.isInteger(o.maxBytes) && o.maxBytes > 0)) throw new TypeError(`maxBytes: a positive integer, got ${o.maxBytes}`);
    this.#o = o;
    this.#log = o.log ?? silentLogger;
    this.#ffmpeg = o.ffmpeg ?? locate('ffmpeg');
    this.#ffprobe = o.ffprobe ?? locate('ffprobe');
    this.#key = profileKey(o.profile);
    this.#layout = new CacheLayout(o.root, o.readyDir ?? `${o.root}/ready`);
    this.#layout.create();
    const { index, problem } = loadIndex(this.#layout.index);
    if (problem) this.#log.warn({ problem }, 'cache index unreadable; creatives will be fetched again');
    this.#index = index;
    for (const [sha, e] of Object.entries(index.ready)) {
      const size = fileSize(this.#layout.ready(sha));
      if (size === null) delete index.ready[sha];
      else e.bytes = size;
    }
    const { removed, unknown } = this.#layout.recover(new Set(Object.keys(index.ready)));
    if (removed.length) this.#log.info({ removed: removed.length }, 'cache: leftovers of an interrupted run removed');
    // Counted against the budget and evicted first, but never "ready": made for no known profile.
    for (const sha of unknown) index.ready[sha] = { bytes: fileSize(this.#layout.ready(sha)) ?? 0, lastUsed: 0, durationMs: null, profile: ADOPTED };
    if (unknown.length) this.#log.info({ adopted: unknown.length }, 'cache: unindexed creatives found; transcoded again when wanted');
    this.#m = cacheMetrics(o.registry);
    this.#progress = new ProgressReporter(this.#layout.progress, this.#log, o.onProgress);
    this.#m.bytes.set(totalBytes(index.ready));
  }

  get #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  /** The playable file for `sha256`, transcoded for this profile and complete, or null. */
  ready(sha256: string): string | null {
    const e = this.#index.ready[sha256];
    const f = this.#layout.ready(sha256);
    return e && e.profile === this.#key && existsSync(f) ? f : null;
  }

  /** What probe said of the transcoded file (for targeting), when it is ready. */
  info(sha256: string): CreativeInfo | null {
    const e = this.#index.ready[sha256];
    if (!e || !this.ready(sha256)) return null;
    return { durationMs: e.durationMs, width: e.width ?? null, height: e.height ?? null, fps: e.fps ?? null };
  }

  /** Marks a play (LRU). Persisted at most once a minute, and on sync and stop. */
  touch(sha256: string): void {
    const e = this.#index.ready[sha256];
    if (!e) return;
    e.lastUsed = this.#now;
    this.#dirty = true;
    if (this.#now - this.#savedAt >= 60_000) this.#save();
  }

  /** The hashes of the last set given to sync(): never evicted. */
  get current(): ReadonlySet<string> {
    return this.#current;
  }

  /** Brings the cache to `creatives`. Syncs run one at a time, in call order. */
  sync(creatives: readonly ManifestCreative[], baseUrl: string): Promise<SyncReport> {
    const p = this.#chain.then(() => this.#sync(creatives, baseUrl));
    this.#chain = p.catch(() => {});
    return p;
  }

  /** Aborts downloads and kills ffmpeg at once; `idle()` resolves when all has unwound. */
  stop(): void {
    this.#abort.abort();
    if (this.#resync.timer) clearTimeout(this.#resync.timer);
    this.#resync.timer = null;
    if (this.#dirty) this.#save();
  }

  async idle(): Promise<void> {
    await this.#chain;
  }

  /** Least recently played first, among creatives not in `keep`, until under maxBytes. */
  evict(keep: ReadonlySet<string> = this.#current): string[] {
    const { evict, over } = chooseEvictions(this.#index.ready, keep, this.#o.maxBytes);
    for (const sha of evict) {
      rmSync(this.#layout.ready(sha), { force: true });
      delete this.#index.ready[sha];
    }
    if (evict.length) {
      this.#m.evicted.inc(evict.length);
      this.#log.info({ evicted: evict.length }, 'cache: least recently played creatives evicted');
      this.#save();
    }
    this.#m.bytes.set(totalBytes(this.#index.ready));
    this.#m.over.set(over);
    if (over > 0) this.#log.warn({ overBytes: over, maxBytes: this.#o.maxBytes }, 'the current creatives alone exceed the cache budget; kept');
    return evict;
  }

  async #sync(input: readonly ManifestCreative[], baseUrl: string): Promise<SyncReport> {
    const report: SyncReport = { ready: [], fetched: [], failed: [], evicted: [], overBudgetBytes: 0 };
    const todo: { c: ManifestCreative; url: URL }[] = [];
    const wanted = new Map<string, ManifestCreative>();
    input.forEach((raw, i) => {
      const r = ManifestCreativeSchema.safeParse(raw);
      if (!r.success) {
        const issue = r.error.issues[0];
        const sha = typeof (raw as { sha256?: unknown })?.sha256 === 'string' ? (raw as { sha256: string }).sha256 : `#${i}`;
        report.failed.push({ sha256: sha, code: 'invalid', reason: `creatives[${i}].${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` });
      } else wanted.set(r.data.sha256, r.data);
    });
    this.#current = new Set(wanted.keys());
    if (this.#resync.timer) clearTimeout(this.#resync.timer);
    this.#resync.timer = null;
    // Room first: what the manifest dropped goes before anything new arrives.
    report.evicted.push(...this.evict());
    this.#layout.pruneWork(this.#current);
    for (const c of wanted.values()) {
      if (this.ready(c.sha256)) {
        report.ready.push(c.sha256);
        continue;
      }
      const bad = this.#index.rejected[c.sha256];
      if (bad && bad.until > this.#now) {
        report.failed.push({ sha256: c.sha256, code: 'backoff', reason: `quarantined (${bad.reason}) until ${new Date(bad.until).toISOString()}` });
        continue;
      }
      let url: URL;
      try {
        url = new URL(c.url, baseUrl || undefined);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported protocol ${url.protocol}`);
      } catch (err) {
        report.failed.push({ sha256: c.sha256, code: 'invalid', reason: `url ${JSON.stringify(c.url)}: ${(err as Error).message}` });
        continue;
      }
      todo.push({ c, url });
    }
    let next = 0;
    let transient = false;
    const worker = async () => {
      while (next < todo.length) {
        const item = todo[next++]!;
        this.#progress.queue(next, todo.length);
        try {
          await this.#obtain(item.c, item.url, baseUrl);
          report.fetched.push(item.c.sha256);
          report.ready.push(item.c.sha256);
        } catch (err) {
          const e = this.#asCacheError(err);
          report.failed.push({ sha256: item.c.sha256, code: e.code, reason: e.message });
          // 404/403 wait for the next manifest; the network, the server's 5xx and our ffmpeg may recover.
          transient ||= e.transient || e.code === 'transcode';
          if (e.code !== 'stopped') this.#log.warn({ sha256: item.c.sha256, code: e.code, err: e.message }, 'creative not ready');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency ?? 1, Math.max(1, todo.length)) }, worker));
    this.#progress.done();
    report.evicted.push(...this.evict());
    report.overBudgetBytes = Math.max(0, totalBytes(this.#index.ready) - this.#o.maxBytes);
    this.#save();
    this.#log.info({ ready: report.ready.length, fetched: report.fetched.length, failed: report.failed.length, evicted: report.evicted.length }, 'cache: sync done');
    this.#scheduleResync(transient, input, baseUrl);
    this.#o.onSynced?.(report);
    return report;
  }

  /** Transient failures left: try the same set again later, backing off; a new sync replaces it. */
  #scheduleResync(transient: boolean, input: readonly ManifestCreative[], baseUrl: string): void {
    if (!transient || this.#abort.signal.aborted) {
      this.#resync.delayMs = 0;
      return;
    }
    const base = this.#o.resyncAfterMs ?? 60_000;
    this.#resync.delayMs = Math.min(30 * 60_000, this.#resync.delayMs ? this.#resync.delayMs * 2 : base);
    this.#resync.timer = setTimeout(() => {
      this.#resync.timer = null;
      this.sync(input, baseUrl).catch((err: Error) => this.#log.error({ err: err.message }, 'cache: resync failed'));
    }, this.#resync.delayMs);
    this.#resync.timer.unref();
  }

  async #obtain(c: ManifestCreative, url: URL, baseUrl: string): Promise<void> {
    const o = this.#o;
    const signal = this.#abort.signal;
    const blob = this.#layout.blob(c.sha256);
    if (!existsSync(blob)) await this.#download(c, url, baseUrl);
    if (signal.aborted) throw new CacheError('stopped', 'stopped');
    const out = this.#layout.ready(c.sha256);
    let stage = 'probe';
    try {
      const src = await probe(this.#ffprobe, blob, { signal });
      stage = 'transcode';
      const started = performance.now();
      const totalMs = Math.min(src.durationMs ?? o.profile.maxDurationMs, o.profile.maxDurationMs);
      this.#progress.update({ sha256: c.sha256, stage: 'transcode', done: 0, total: totalMs });
      await transcode(this.#ffmpeg, blob, out, o.profile, {
        audio: src.audio !== undefined,
        signal,
        timeoutMs: Math.max(120_000, totalMs * 40),
        onProgress: (ms) => this.#progress.update({ sha256: c.sha256, stage: 'transcode', done: Math.min(ms, totalMs), total: totalMs }),
      });
      this.#m.transcodeSeconds.observe((performance.now() - started) / 1000);
      stage = 'check';
      const res = await probe(this.#ffprobe, out, { signal });
      if (res.video.width !== o.profile.width || res.video.height !== o.profile.height) {
        rmSync(out, { force: true });
        throw new MediaError('failed', `transcoded to ${res.video.width}x${res.video.height}, the screen is ${o.profile.width}x${o.profile.height}`);
      }
      this.#index.ready[c.sha256] = {
        bytes: fileSize(out) ?? 0,
        lastUsed: this.#now,
        durationMs: res.durationMs ?? null,
        profile: this.#key,
        width: res.video.width,
        height: res.video.height,
        ...(res.video.fps ? { fps: res.video.fps } : {}),
      };
    } catch (err) {
      const e = this.#asCacheError(err, stage);
      // Only the source file can be at fault; our own output failing its check is not its fault.
      if (e.quarantine && stage !== 'check') this.#reject(c.sha256, blob, e);
      throw e;
    }
    delete this.#index.rejected[c.sha256];
    rmSync(blob, { force: true });
    this.#m.bytes.set(totalBytes(this.#index.ready));
    this.#save();
    this.#log.info({ sha256: c.sha256, durationMs: this.#index.ready[c.sha256]?.durationMs, bytes: this.#index.ready[c.sha256]?.bytes }, 'creative ready');
  }

  async #download(c: ManifestCreative, url: URL, baseUrl: string): Promise<void> {
    const o = this.#o;
    const attempts = o.retry?.attempts ?? 4;
    const base = baseUrl ? new URL(baseUrl).origin : undefined;
    const part = this.#layout.part(c.sha256);
    let fresh = false;
    for (let attempt = 1; ; attempt++) {
      try {
        this.#log.info({ sha256: c.sha256, bytes: c.bytes, attempt }, 'creative: downloading');
        const r = await download(
          { url, sha256: c.sha256, bytes: c.bytes, part, dest: this.#layout.blob(c.sha256) },
          {
            authorization: o.auth ? `Basic ${Buffer.from(`${o.auth.username}:${o.auth.password}`).toString('base64')}` : undefined,
            credentialsOrigin: base,
            signal: this.#abort.signal,
            idleTimeoutMs: o.idleTimeoutMs,
            onProgress: (have, total) => this.#progress.update({ sha256: c.sha256, stage: 'download', done: have, total }),
          },
        );
        this.#m.fetched.inc(r.received);
        if (r.resumedFrom > 0) this.#m.resumed.inc();
        return;
      } catch (err) {
        const e = this.#asCacheError(err);
        // The bytes kept from an earlier run may be what is wrong: once, start over before blaming the file.
        if (e.code === 'integrity' && Number(e.context.resumedFrom) > 0 && !fresh) {
          fresh = true;
          rmSync(part, { force: true });
          this.#log.warn({ sha256: c.sha256, err: e.message }, 'creative: resumed download failed its hash; fetching it whole');
          continue;
        }
        if (e.quarantine) this.#reject(c.sha256, part, e);
        if (!e.transient || attempt >= attempts || this.#abort.signal.aborted) throw e;
        const delay = Math.min(30_000, (o.retry?.baseDelayMs ?? 1000) * 2 ** (attempt - 1));
        this.#log.info({ sha256: c.sha256, code: e.code, err: e.message, retryInMs: delay }, 'creative: download interrupted; resuming');
        try {
          await sleep(delay, undefined, { signal: this.#abort.signal });
        } catch {
          throw new CacheError('stopped', 'stopped');
        }
      }
    }
  }

  #reject(sha256: string, file: string, e: CacheError): void {
    const prev = this.#index.rejected[sha256];
    const count = (prev?.count ?? 0) + 1;
    const reason = e.code;
    try {
      quarantineFile(this.#layout.quarantine, file, { sha256, reason, count, message: e.message, at: this.#now }, this.#o.quarantine ?? { maxFiles: 8, maxBytes: Math.floor(this.#o.maxBytes / 4) });
    } catch (err) {
      // The record below still stops a refetch loop; the file is dropped rather than reused.
      rmSync(file, { force: true });
      this.#log.error({ sha256, err: (err as Error).message }, 'creative could not be quarantined; deleted');
    }
    this.#index.rejected[sha256] = { reason, until: this.#now + rejectionBackoffMs(count), count };
    this.#m.rejected.inc({ reason });
    this.#save();
    this.#log.warn({ sha256, reason, count, err: e.message }, 'creative quarantined');
  }

  #asCacheError(err: unknown, stage = 'download'): CacheError {
    if (err instanceof CacheError) return err;
    if (err instanceof MediaError) {
      switch (err.code) {
        case 'unplayable':
          return new CacheError('unplayable', `${stage}: ${err.message}`, err.context, { cause: err });
        case 'aborted':
          return new CacheError('stopped', `${stage}: stopped`, {}, { cause: err });
        case 'failed':
        case 'timeout':
          return new CacheError('transcode', `${stage}: ${err.message}`, err.context, { cause: err });
      }
    }
    if (this.#abort.signal.aborted) return new CacheError('stopped', 'stopped', {}, { cause: err });
    return new CacheError('transcode', `${stage}: ${(err as Error).message}`, {}, { cause: err });
  }

  #save(): void {
    saveIndex(this.#layout.index, this.#index);
    this.#dirty = false;
    this.#savedAt = this.#now;
  }
}
