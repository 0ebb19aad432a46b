// The creative cache: every creative of the current manifest fetched by hash (resumable,
// size-capped, verified), probed, transcoded once to the screen profile, and kept on a bounded
// disk with least-recently-played eviction of what the manifest no longer names. A file that
// fails its hash or cannot be played is moved to quarantine, reported, and not fetched again
// until a backoff passes. The player only ever sees complete files in `readyDir`.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestCreative } from '@doorcast/firmware-protocol/cloud';
import { MediaError } from '../media/media-error.js';
import { probe } from '../media/probe.js';
import type { ScreenProfile } from '../media/screen-profile.js';
import { TRANSCODE_VERSION, transcode } from '../media/transcode.js';
import type { Logger } from '../obs/log.js';
import { Counter, Gauge, metric, type Registry } from '../obs/metrics.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { DownloadError, download } from './download.js';

export interface CacheOptions {
  root: string;
  /** Where the player looks for <sha256>.mp4. */
  readyDir: string;
  profile: ScreenProfile;
  maxBytes: number;
  ffmpeg: string;
  ffprobe: string;
  /** Basic auth for the broker's creative server (the device credential). */
  auth?: { username: string; password: string };
  log: Logger;
  registry: Registry;
  fetch?: typeof fetch;
  now?: () => number;
}

interface Entry {
  bytes: number;
  lastUsed: number;
  durationMs: number | null;
  profile: string;
}
interface Index {
  version: 1;
  ready: Record<string, Entry>;
  rejected: Record<string, { reason: string; until: number; count: number }>;
}

export interface SyncReport {
  ready: string[];
  fetched: string[];
  failed: { sha256: string; reason: string }[];
  evicted: string[];
}

const profileKey = (p: ScreenProfile) => `${p.width}x${p.height}@${p.fps}/${p.maxDurationMs}/v${TRANSCODE_VERSION}`;

export class CreativeCache {
  readonly #o: CacheOptions;
  readonly #index: Index;
  readonly #abort = new AbortController();
  readonly #m;
  #syncing: Promise<SyncReport> | null = null;

  constructor(o: CacheOptions) {
    this.#o = o;
    for (const d of ['partial', 'blobs', 'quarantine']) mkdirSync(join(o.root, d), { recursive: true });
    mkdirSync(o.readyDir, { recursive: true });
    this.#index = this.#load();
    const r = o.registry;
    this.#m = {
      bytes: metric(r, 'doorcast_cache_bytes', (registers) => new Gauge({ name: 'doorcast_cache_bytes', help: 'Bytes of transcoded creatives on disk', registers })),
      rejected: metric(r, 'doorcast_creative_rejected_total', (registers) => new Counter({ name: 'doorcast_creative_rejected_total', help: 'Creatives quarantined, by reason', labelNames: ['reason'], registers })),
      fetched: metric(r, 'doorcast_creative_fetched_bytes_total', (registers) => new Counter({ name: 'doorcast_creative_fetched_bytes_total', help: 'Bytes downloaded for creatives', registers })),
    };
    this.#m.bytes.set(this.#total());
  }

  get #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  /** The playable file for `sha256` (transcoded for this profile), or null. */
  ready(sha256: string): string | null {
    const e = this.#index.ready[sha256];
    const f = join(this.#o.readyDir, `${sha256}.mp4`);
    return e && e.profile === profileKey(this.#o.profile) && existsSync(f) ? f : null;
  }

  info(sha256: string): { durationMs: number | null } | null {
    const e = this.#index.ready[sha256];
    return e ? { durationMs: e.durationMs } : null;
  }

  touch(sha256: string): void {
    const e = this.#index.ready[sha256];
    if (e) e.lastUsed = this.#now;
  }

  /** Brings the cache to `creatives` (one sync at a time; a second call waits for the first). */
  sync(creatives: readonly ManifestCreative[], baseUrl: string): Promise<SyncReport> {
    const run = async () => {
      await this.#syncing?.catch(() => {});
      return this.#sync(creatives, baseUrl);
    };
    const p = run();
    this.#syncing = p;
    return p;
  }

  stop(): void {
    this.#abort.abort();
  }

  async #sync(creatives: readonly ManifestCreative[], baseUrl: string): Promise<SyncReport> {
    const o = this.#o;
    const report: SyncReport = { ready: [], fetched: [], failed: [], evicted: [] };
    for (const c of creatives) {
      if (this.#abort.signal.aborted) break;
      if (this.ready(c.sha256)) {
        report.ready.push(c.sha256);
        continue;
      }
      const bad = this.#index.rejected[c.sha256];
      if (bad && bad.until > this.#now) {
        report.failed.push({ sha256: c.sha256, reason: `quarantined: ${bad.reason}` });
        continue;
      }
      try {
        await this.#fetch(c, baseUrl);
        report.fetched.push(c.sha256);
        report.ready.push(c.sha256);
      } catch (err) {
        const reason = err instanceof DownloadError ? err.code : err instanceof MediaError ? err.code : 'error';
        report.failed.push({ sha256: c.sha256, reason: (err as Error).message });
        o.log.warn({ sha256: c.sha256, reason, err: (err as Error).message }, 'creative not ready');
      }
    }
    report.evicted = this.evict(new Set(creatives.map((c) => c.sha256)));
    this.#save();
    return report;
  }

  async #fetch(c: ManifestCreative, baseUrl: string): Promise<void> {
    const o = this.#o;
    const part = join(o.root, 'partial', `${c.sha256}.part`);
    const blob = join(o.root, 'blobs', c.sha256);
    const url = new URL(c.url, baseUrl).href;
    const headers: Record<string, string> = o.auth ? { authorization: `Basic ${Buffer.from(`${o.auth.username}:${o.auth.password}`).toString('base64')}` } : {};
    if (!existsSync(blob)) {
      o.log.info({ sha256: c.sha256, bytes: c.bytes }, 'creative: downloading');
      try {
        this.#m.fetched.inc(await download(url, part, blob, c, { headers, fetch: o.fetch, signal: this.#abort.signal }));
      } catch (err) {
        if (err instanceof DownloadError && (err.code === 'hash' || err.code === 'size')) this.#quarantine(c.sha256, part, err.code);
        throw err;
      }
    }
    let durationMs: number | null = null;
    const out = join(o.readyDir, `${c.sha256}.mp4`);
    try {
      durationMs = (await probe(o.ffprobe, blob, { signal: this.#abort.signal })).durationMs ?? null;
      o.log.info({ sha256: c.sha256, durationMs }, 'creative: transcoding');
      let last = 0;
      await transcode(o.ffmpeg, blob, out, o.profile, {
        signal: this.#abort.signal,
        onProgress: (ms) => {
          if (ms - last >= 5000) {
            last = ms;
            o.log.info({ sha256: c.sha256, doneMs: Math.round(ms), durationMs }, 'creative: transcoding progress');
          }
        },
      });
    } catch (err) {
      if (err instanceof MediaError && err.code === 'unplayable') this.#quarantine(c.sha256, blob, 'unplayable');
      throw err;
    }
    rmSync(blob, { force: true });
    this.#index.ready[c.sha256] = { bytes: statSync(out).size, lastUsed: this.#now, durationMs, profile: profileKey(o.profile) };
    delete this.#index.rejected[c.sha256];
    this.#m.bytes.set(this.#total());
    this.#save();
  }

  #quarantine(sha256: string, file: string, reason: string): void {
    const prev = this.#index.rejected[sha256];
    const count = (prev?.count ?? 0) + 1;
    if (existsSync(file)) renameSync(file, join(this.#o.root, 'quarantine', `${sha256}.${reason}.${count}`));
    // Not again right away: 10 min, doubling to a day. The operator sees it in the metric.
    this.#index.rejected[sha256] = { reason, until: this.#now + Math.min(86_400_000, 600_000 * 2 ** (count - 1)), count };
    this.#m.rejected.inc({ reason });
    this.#save();
  }

  /** Least recently played first, among creatives not in `keep`, until under maxBytes. */
  evict(keep: ReadonlySet<string>): string[] {
    const out: string[] = [];
    const candidates = Object.entries(this.#index.ready)
      .filter(([sha]) => !keep.has(sha))
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [sha] of candidates) {
      if (this.#total() <= this.#o.maxBytes) break;
      rmSync(join(this.#o.readyDir, `${sha}.mp4`), { force: true });
      delete this.#index.ready[sha];
      out.push(sha);
    }
    if (this.#total() > this.#o.maxBytes) this.#o.log.warn({ bytes: this.#total(), maxBytes: this.#o.maxBytes }, 'the current creatives alone exceed the cache budget; kept');
    this.#m.bytes.set(this.#total());
    return out;
  }

  #total(): number {
    return Object.values(this.#index.ready).reduce((n, e) => n + e.bytes, 0);
  }

  #load(): Index {
    try {
      const i = JSON.parse(readFileSync(join(this.#o.root, 'index.json'), 'utf8')) as Index;
      if (i.version === 1 && i.ready && i.rejected) return i;
    } catch {
      // first start, or a damaged index: rebuilt as creatives are fetched again
    }
    return { version: 1, ready: {}, rejected: {} };
  }

  #save(): void {
    writeFileAtomic(join(this.#o.root, 'index.json'), JSON.stringify(this.#index), 0o600);
  }
}
