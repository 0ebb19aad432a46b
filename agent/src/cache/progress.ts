// What the cache is busy with, told three ways: a callback (tests, the runtime), an info log
// every few seconds, and <root>/progress.json for `doorcast status` in another process. The
// file is replaced by rename (no fsync: it is advisory and rewritten often).
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Logger } from '../obs/log.js';

export interface CacheProgress {
  sha256: string;
  stage: 'download' | 'transcode';
  /** Bytes on disk (download) or output milliseconds reached (transcode). */
  done: number;
  total: number;
}

const LOG_EVERY_MS = 5000;
const WRITE_EVERY_MS = 1000;

export class ProgressReporter {
  #item = { done: 0, of: 0 };
  #loggedAt = new Map<string, number>();
  #writtenAt = 0;

  constructor(
    readonly path: string,
    readonly log: Logger,
    readonly onProgress?: (p: CacheProgress) => void,
  ) {}

  /** Item `n` of `of` in this sync has started. */
  queue(n: number, of: number): void {
    this.#item = { done: n - 1, of };
  }

  update(p: CacheProgress): void {
    this.onProgress?.(p);
    const now = Date.now();
    const key = `${p.sha256}/${p.stage}`;
    const first = !this.#loggedAt.has(key);
    const finished = p.done >= p.total;
    if (first || finished || now - (this.#loggedAt.get(key) ?? 0) >= LOG_EVERY_MS) {
      this.#loggedAt.set(key, now);
      const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 0;
      this.log.info({ sha256: p.sha256, stage: p.stage, done: p.done, total: p.total, pct, item: this.#item.done + 1, of: this.#item.of }, `creative ${p.stage} ${pct}%`);
    }
    if (first || finished || now - this.#writtenAt >= WRITE_EVERY_MS) {
      this.#writtenAt = now;
      this.#write({ ...p, item: this.#item.done + 1, of: this.#item.of, at: new Date(now).toISOString() });
    }
  }

  /** The sync is over: nothing in progress. */
  done(): void {
    this.#loggedAt.clear();
    rmSync(this.path, { force: true });
  }

  #write(v: object): void {
    try {
      const tmp = `${this.path}.tmp`;
      writeFileSync(tmp, JSON.stringify(v));
      renameSync(tmp, this.path);
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'progress file not written');
    }
  }
}
