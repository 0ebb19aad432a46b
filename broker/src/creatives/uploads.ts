// The merchant creative upload pipeline. accept() streams, hashes, probes and checks an upload
// while the merchant waits, and refuses bad files leaving nothing behind (DESIGN.md rule 4);
// a good one becomes a 'processing' row with its original kept under workDir/originals/.
// A serial queue then transcodes it to every screen profile, takes a preview still and
// stores the renditions and the still in the CreativeStore (devices fetch /creatives/<sha256>;
// clustered, every node can serve both), or marks it 'rejected' when it fails to decode.
// Rows are the truth: start() resumes from them.
//
// Each row names its owner, the workDir (node) holding its original: nodes on separate hosts
// each resume their own uploads and never judge another node's original lost.
//
//   workDir/node-id           this workDir's owner id, made once
//   workDir/originals/<id>    the upload, until its creative is ready or rejected
//   workDir/previews/<id>.png the still of a creative made before stills went to the store
//   workDir/tmp/              uploads in flight, transcodes, stills: emptied on start()
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { locate, MediaError, probe } from '@doorcast/agent/media';
import { Registry } from 'prom-client';
import type { StateDb } from '../db/state-db.js';
import { fsyncDir } from '../db/state-file.js';
import type { Logger } from '../obs/log.js';
import { CreativeRows, type MarketCreative } from './creative-rows.js';
import type { CreativeStore } from './creative-store.js';
import { loadOrCreateNodeId } from './node-id.js';
import { extractPreview } from './preview.js';
import { receiveToFile } from './receive.js';
import { commitAll, DEFAULT_PROFILES, discard, type NamedProfile, type RenderedFile, renderAll, validateProfiles } from './renditions.js';
import { TranscodeQueue } from './transcode-queue.js';
import { type UploadMetrics, uploadMetrics } from './upload-metrics.js';
import {
  checkDeclaredBytes,
  checkMedia,
  creativeId,
  DEFAULT_UPLOAD_LIMITS,
  fromProbeError,
  isRetryableReason,
  sanitiseName,
  UploadError,
  type UploadLimits,
  validateLimits,
} from './upload-rules.js';

export type { MarketCreative, Rendition } from './creative-rows.js';
export { DEFAULT_PROFILES, type NamedProfile } from './renditions.js';
export { DEFAULT_UPLOAD_LIMITS, describeReason, UploadError, type UploadErrorCode, type UploadLimits, type UploadReason } from './upload-rules.js';

export interface CreativeUploadsOptions {
  db: StateDb;
  creatives: CreativeStore;
  workDir: string;
  profiles?: readonly NamedProfile[];
  limits?: UploadLimits;
  log: Logger;
  now?: () => Date;
  ffmpeg?: string;
  ffprobe?: string;
  registry?: Registry;
  /** Uploads receiving, queued, transcoding or waiting to retry, at most; past it accept() refuses 'busy'. Default 16. */
  queueLimit?: number;
  /** Waits before the 2nd, 3rd… try after a failure of ours (ffmpeg crashed, disk full); then 'rejected' as 'internal'. */
  retryDelaysMs?: readonly number[];
}

export interface AcceptInput {
  merchantId: string;
  name: string;
  body: AsyncIterable<Buffer | Uint8Array>;
  /** The request's content-length: over the cap is refused before a byte is read. */
  declaredBytes?: number;
}

const DEFAULT_RETRY_DELAYS_MS = [10_000, 60_000];

export class CreativeUploads {
  readonly #o: CreativeUploadsOptions;
  readonly #rows: CreativeRows;
  readonly #limits: UploadLimits;
  readonly #profiles: readonly NamedProfile[];
  readonly #ffmpeg: string;
  readonly #ffprobe: string;
  readonly #log: Logger;
  readonly #m: UploadMetrics;
  readonly #queue: TranscodeQueue;
  readonly #queueLimit: number;
  readonly #dirs: { originals: string; previews: string; tmp: string };
  readonly #listeners: ((c: MarketCreative) => void)[] = [];
  readonly #waiters = new Set<{ id: string; done: (c: MarketCreative | Error) => void }>();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #attempts = new Map<string, number>();
  #receiving = 0;
  /** Settles when the accept() holding the look-up-to-insert section leaves it. */
  #section: Promise<unknown> = Promise.resolve();
  #abort = new AbortController();
  #started = false;
  /** Set by start(): the owner recorded on this node's rows. */
  #node = '';

  constructor(o: CreativeUploadsOptions) {
    this.#o = o;
    this.#limits = o.limits ?? DEFAULT_UPLOAD_LIMITS;
    validateLimits(this.#limits);
    this.#profiles = o.profiles ?? DEFAULT_PROFILES;
    validateProfiles(this.#profiles);
    this.#queueLimit = o.queueLimit ?? 16;
    if (!Number.isInteger(this.#queueLimit) || this.#queueLimit < 1) throw new TypeError('queueLimit: a positive integer');
    this.#ffmpeg = o.ffmpeg ?? locate('ffmpeg');
    this.#ffprobe = o.ffprobe ?? locate('ffprobe');
    this.#log = o.log.child({ component: 'creative-uploads' });
    this.#m = uploadMetrics(o.registry ?? new Registry());
    this.#rows = new CreativeRows(o.db);
    this.#dirs = { originals: join(o.workDir, 'originals'), previews: join(o.workDir, 'previews'), tmp: join(o.workDir, 'tmp') };
    this.#queue = new TranscodeQueue((id, signal) => this.#process(id, signal), this.#log);
  }

  async accept(input: AcceptInput): Promise<MarketCreative> {
    if (typeof input.merchantId !== 'string' || !input.merchantId || input.merchantId.length > 200) throw new TypeError('merchantId: a non-empty string');
    const log = this.#log.child({ merchant: input.merchantId });
    try {
      if (!this.#started) throw new UploadError('stopped');
      checkDeclaredBytes(input.declaredBytes, this.#limits);
      if (this.#receiving + this.#queue.depth >= this.#queueLimit) throw new UploadError('busy', { limit: this.#queueLimit });
    } catch (err) {
      throw this.#refused(err, log);
    }
    const p = this.#accept(input, log);
    this.#inflight.add(p);
    try {
      return await p;
    } finally {
      this.#inflight.delete(p);
    }
  }

  async #accept(input: AcceptInput, log: Logger): Promise<MarketCreative> {
    this.#receiving++;
    const tmp = join(this.#dirs.tmp, `upload-${randomUUID()}`);
    try {
      const signal = this.#abort.signal;
      const got = await receiveToFile(input.body, tmp, this.#limits.maxBytes, signal);
      const id = creativeId(input.merchantId, got.sha256);
      // The same merchant sending the same bytes again gets its creative back, unprobed.
      const known = await this.#rows.get(id);
      if (known && !retriable(known)) return this.#duplicate(known, tmp, log);
      const media = await probe(this.#ffprobe, tmp, { signal }).catch((err: unknown) => {
        throw err instanceof MediaError ? fromProbeError(err) : err;
      });
      const checked = checkMedia(media, this.#limits);
      // One accept() at a time from the look-up to the insert: the same bytes sent twice at once
      // are one creative and one job, the second told it is a duplicate.
      return await this.#exclusive(async () => {
        if (!this.#started) throw new UploadError('stopped');
        const now = await this.#rows.get(id);
        if (now && !retriable(now)) return this.#duplicate(now, tmp, log);
        const original = join(this.#dirs.originals, id);
        renameSync(tmp, original);
        // The rename is durable only once its directory is flushed (DESIGN.md rule 2).
        fsyncDir(this.#dirs.originals);
        const at = this.#now();
        try {
          const row = { id, merchantId: input.merchantId, name: sanitiseName(String(input.name ?? '')), originalSha256: got.sha256, bytes: got.bytes, ...checked, owner: this.#node, at };
          if (now) await this.#rows.retry(id, this.#node, at);
          else if (!(await this.#rows.insert(row))) {
            // Another process inserted it first. Its original is its own (sharing this workDir,
            // our rename replaced it with the same bytes); ours is needed only if it is ours.
            const other = (await this.#rows.get(id))!;
            if (other.status !== 'processing' || (await this.#rows.owner(id)) !== this.#node) rmSync(original, { force: true });
            return other;
          }
        } catch (err) {
          rmSync(original, { force: true });
          throw new UploadError('internal', { error: (err as Error).message });
        }
        this.#attempts.delete(id);
        this.#queue.push(id);
        this.#m.uploads.inc({ result: 'accepted', reason: '' });
        log.info({ creative: id, bytes: got.bytes, ...checked, retry: !!now }, 'creative accepted');
        return (await this.#rows.get(id))!;
      });
    } catch (err) {
      rmSync(tmp, { force: true });
      throw this.#refused(err, log);
    } finally {
      this.#receiving--;
    }
  }

  #duplicate(c: MarketCreative, tmp: string, log: Logger): MarketCreative {
    rmSync(tmp, { force: true });
    this.#m.uploads.inc({ result: 'duplicate', reason: '' });
    log.info({ creative: c.id, status: c.status }, 'creative uploaded again: the same one');
    return c;
  }

  #refused(err: unknown, log: Logger): UploadError {
    const e = err instanceof UploadError ? err : new UploadError('internal', { error: (err as Error).message });
    this.#m.uploads.inc({ result: 'refused', reason: e.reason });
    log.warn({ code: e.code, reason: e.reason, ...e.details }, `upload refused: ${e.message}`);
    return e;
  }

  /** Runs `f` once every earlier caller's `f` has settled. */
  #exclusive<T>(f: () => Promise<T>): Promise<T> {
    const p = this.#section.then(f, f);
    this.#section = p.catch(() => undefined);
    return p;
  }

  get(id: string): Promise<MarketCreative | null> {
    return this.#rows.get(id);
  }

  /** Rejects with TypeError for a bad limit or cursor. */
  list(o: { merchantId?: string; limit: number; cursor?: string }): Promise<{ items: MarketCreative[]; nextCursor: string | null }> {
    return this.#rows.list(o);
  }

  /** A local path to the still, fetched from the shared store if need be; CreativeError if it cannot be. */
  async previewPath(id: string): Promise<string | null> {
    const p = await this.#rows.preview(id);
    if (!p) return null;
    if ('sha256' in p) return this.#o.creatives.ensureLocal(p.sha256);
    const path = join(this.#dirs.previews, p.file);
    return existsSync(path) ? path : null;
  }

  async settled(id: string, timeoutMs = 120_000): Promise<MarketCreative> {
    const c = await this.#rows.get(id);
    if (!c) throw new UploadError('not-found', { id });
    if (c.status !== 'processing') return c;
    return new Promise((resolve, reject) => {
      const w = {
        id,
        done: (r: MarketCreative | Error) => {
          clearTimeout(timer);
          this.#waiters.delete(w);
          if (r instanceof Error) reject(r);
          else resolve(r);
        },
      };
      const timer = setTimeout(() => w.done(new UploadError('timeout', { id, timeoutMs })), timeoutMs);
      this.#waiters.add(w);
    });
  }

  onChange(listener: (c: MarketCreative) => void): void {
    this.#listeners.push(listener);
  }

  async start(): Promise<void> {
    if (this.#started) return;
    for (const d of Object.values(this.#dirs)) mkdirSync(d, { recursive: true, mode: 0o700 });
    // Whatever a crash left mid-way: partial uploads, transcodes and stills.
    for (const f of readdirSync(this.#dirs.tmp)) rmSync(join(this.#dirs.tmp, f), { recursive: true, force: true });
    this.#node = loadOrCreateNodeId(this.#o.workDir);
    const pending = await this.#rows.processing(this.#node);
    const ids = new Set(pending.map((c) => c.id));
    for (const f of readdirSync(this.#dirs.originals)) if (!ids.has(f)) rmSync(join(this.#dirs.originals, f), { force: true });
    const stills = await this.#rows.previewFiles();
    for (const f of readdirSync(this.#dirs.previews)) if (!stills.has(f)) rmSync(join(this.#dirs.previews, f), { force: true });
    this.#abort = new AbortController();
    this.#started = true;
    this.#queue.start();
    for (const c of pending) {
      if (existsSync(join(this.#dirs.originals, c.id))) this.#queue.push(c.id);
      else await this.#reject(c.id, new UploadError('original-lost'));
    }
    if (pending.length) this.#log.info({ resumed: pending.length }, 'creative uploads: resuming');
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#abort.abort();
    for (const w of [...this.#waiters]) w.done(new UploadError('stopped'));
    await this.#queue.stop();
    await Promise.allSettled([...this.#inflight]);
  }

  /** One queued creative: transcode, verify, preview, store; or reject, or leave for a retry. */
  async #process(id: string, signal: AbortSignal): Promise<void> {
    if ((await this.#rows.get(id))?.status !== 'processing') return;
    const log = this.#log.child({ creative: id });
    const original = join(this.#dirs.originals, id);
    if (!existsSync(original)) return this.#reject(id, new UploadError('original-lost'));
    const still = join(this.#dirs.tmp, `${id}.png`);
    let rendered: RenderedFile[] = [];
    try {
      const src = await probe(this.#ffprobe, original, { signal }).catch((err: unknown) => {
        throw err instanceof MediaError && err.code === 'unplayable' ? new UploadError('corrupt', { tool: err.message.slice(0, 400) }) : err;
      });
      rendered = await renderAll(original, src, this.#profiles, {
        ffmpeg: this.#ffmpeg,
        ffprobe: this.#ffprobe,
        signal,
        dir: this.#dirs.tmp,
        id,
        onTranscoded: (profile, s) => this.#m.transcodeSeconds.observe({ profile }, s),
      });
      const first = rendered[0]!;
      const shot = await extractPreview(this.#ffmpeg, first.path, still, first.durationMs, signal);
      if (signal.aborted) throw new MediaError('aborted', 'stopped');
      const renditions = await commitAll(rendered, this.#o.creatives);
      const pic = await this.#o.creatives.addFile(still);
      rmSync(still, { force: true });
      // Lost the race (a stop, a reject): what was stored is content-addressed and harmless.
      if (!(await this.#rows.markReady(id, renditions, { sha256: pic.sha256, ...shot }, this.#now()))) return;
      rmSync(original, { force: true });
      this.#attempts.delete(id);
      this.#m.uploads.inc({ result: 'ready', reason: '' });
      log.info({ renditions: renditions.map((r) => `${r.profile}:${r.sha256.slice(0, 12)}`) }, 'creative ready');
      this.#changed(id);
    } catch (err) {
      discard(rendered);
      rmSync(still, { force: true });
      if (signal.aborted || (err instanceof MediaError && err.code === 'aborted')) {
        log.info('creative transcode stopped; resumes on the next start');
        return;
      }
      if (err instanceof UploadError) return this.#reject(id, err);
      await this.#failedOnOurSide(id, err as Error, log);
    }
  }

  async #failedOnOurSide(id: string, err: Error, log: Logger): Promise<void> {
    const delays = this.#o.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    const attempt = (this.#attempts.get(id) ?? 0) + 1;
    this.#attempts.set(id, attempt);
    const delay = delays[attempt - 1];
    if (delay === undefined) {
      await this.#reject(id, new UploadError('internal', { attempts: attempt, error: err.message.slice(0, 400) }));
      return;
    }
    log.error({ attempt, retryInMs: delay, err: err.message }, 'creative transcode failed on our side; will retry');
    this.#queue.later(id, delay);
  }

  async #reject(id: string, e: UploadError): Promise<void> {
    this.#attempts.delete(id);
    if (!(await this.#rows.markRejected(id, e.reason, this.#now()))) return;
    rmSync(join(this.#dirs.originals, id), { force: true });
    this.#m.uploads.inc({ result: 'rejected', reason: e.reason });
    this.#log.warn({ creative: id, reason: e.reason, ...e.details }, `creative rejected: ${e.message}`);
    this.#changed(id);
  }

  /** Told on the next turn, once the job has left the queue: a waiter may upload again at once. */
  #changed(id: string): void {
    setImmediate(() => {
      this.#tell(id).catch((err: Error) => this.#log.error({ creative: id, err: err.message }, 'creative change: reading the row failed'));
    });
  }

  async #tell(id: string): Promise<void> {
    const c = await this.#rows.get(id);
    if (!c) return;
    for (const w of [...this.#waiters]) if (w.id === id) w.done(c);
    for (const l of this.#listeners) {
      try {
        l(c);
      } catch (err) {
        this.#log.error({ creative: id, err: (err as Error).message }, 'creative change listener threw');
      }
    }
  }

  #now(): string {
    return (this.#o.now?.() ?? new Date()).toISOString();
  }
}

/** A creative rejected for a failure of ours: the same bytes uploaded again get another try. */
function retriable(c: MarketCreative): boolean {
  return c.status === 'rejected' && isRetryableReason(c.reason);
}
