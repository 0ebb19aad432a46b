// Visual proof of play without a screen: a PNG of each play's first frame and a bounded log
// of frame hashes (one line per frame: play id, index, sha256; the first frame's line also
// names its PNG), for tests and the demo.
import { createHash } from 'node:crypto';
import { appendFileSync, createWriteStream, mkdirSync, renameSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PNG } from 'pngjs';
import type { ScreenProfile } from '../media/screen-profile.js';
import { toRgba } from './pixels.js';
import { type FrameSink, SinkError } from './sink.js';

export interface SnapshotSinkOptions {
  dir: string;
  /** The hash log rotates to hashes.log.1 past this size. */
  maxLogBytes?: number;
  /** Keep at most this many first-frame PNGs (oldest by name are overwritten in turn). */
  maxPngs?: number;
}

export class SnapshotSink implements FrameSink {
  readonly kind = 'snapshot';
  readonly #o: Required<SnapshotSinkOptions>;
  #play: { id: string; profile: ScreenProfile } | undefined;
  #lines: string[] = [];
  #pngs = 0;
  lastPng: string | null = null;
  readonly #pending = new Set<Promise<void>>();

  constructor(o: SnapshotSinkOptions) {
    this.#o = { maxLogBytes: 8 * 2 ** 20, maxPngs: 200, ...o };
    mkdirSync(o.dir, { recursive: true });
  }

  get logPath(): string {
    return join(this.#o.dir, 'hashes.log');
  }

  begin(play: { id: string; profile: ScreenProfile }): void {
    this.#play = play;
    this.#lines = [];
  }

  write(frame: Buffer, index: number): void {
    const p = this.#play;
    if (!p) return;
    const line = `${p.id} ${index} ${createHash('sha256').update(frame).digest('hex')}`;
    if (index !== 0) this.#lines.push(line);
    else {
      // Encoded after this turn of the event loop, compressed on libuv's pool: the first
      // frame and the door path never wait for a PNG.
      const copy = Buffer.from(frame);
      const name = join(this.#o.dir, `first-${String(this.#pngs++ % this.#o.maxPngs).padStart(4, '0')}.png`);
      const { width, height, pixelFormat } = p.profile;
      // The first frame's line names its picture: the play's id, its hash and its PNG.
      this.#lines.push(`${line} ${basename(name)}`);
      const job = new Promise<void>((resolve) => {
        setImmediate(() => {
          try {
            const png = new PNG({ width, height });
            toRgba(copy, pixelFormat, width * height).copy(png.data);
            const out = createWriteStream(`${name}.tmp`);
            // A failed snapshot is logged by nobody and costs nothing: the play goes on.
            out.on('error', () => resolve());
            out.on('finish', () => {
              try {
                renameSync(`${name}.tmp`, name);
                this.lastPng = name;
              } catch {
                // the folder went away
              }
              resolve();
            });
            png.pack().pipe(out);
          } catch {
            resolve();
          }
        });
      });
      this.#pending.add(job);
      void job.then(() => this.#pending.delete(job));
    }
  }

  end(): void {
    if (this.#lines.length === 0) return;
    try {
      if (statSync(this.logPath).size > this.#o.maxLogBytes) renameSync(this.logPath, `${this.logPath}.1`);
    } catch {
      // no log yet
    }
    const lines = this.#lines;
    this.#lines = [];
    try {
      appendFileSync(this.logPath, `${lines.join('\n')}\n`);
    } catch (err) {
      throw new SinkError('snapshot', `cannot append to ${this.logPath} (${(err as NodeJS.ErrnoException).code})`);
    }
  }

  /** Resolves when every first-frame PNG so far is on disk. */
  async flushed(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  /** Never throws: stopping must release everything (an unwritable log loses its last lines). */
  async close(): Promise<void> {
    try {
      this.end();
    } catch {
      // reported by the play that wrote them, when there was one
    }
    await this.flushed();
  }
}
