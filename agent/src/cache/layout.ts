// Where the cache keeps what. Downloads and originals live under one root, so their renames
// are atomic; the transcoded files go to the player's folder, written there under a temp
// name and renamed:
//   <root>/partial/<sha256>.part          download in progress (resumable)
//   <root>/blobs/<sha256>                 original, verified, until it is transcoded
//   <root>/quarantine/<sha256>.<reason>.<n>  rejected files (+ .json with why), bounded
//   <root>/index.json                     last use, probe info and rejections (cache-index.ts)
//   <root>/progress.json                  what the cache is busy with, for `doorcast status`
//   <readyDir>/<sha256>.mp4               transcoded for this screen (what the player opens)
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const SHA256 = /^[0-9a-f]{64}$/;

export class CacheLayout {
  readonly partial: string;
  readonly blobs: string;
  readonly quarantine: string;
  readonly index: string;
  readonly progress: string;

  constructor(
    readonly root: string,
    readonly readyDir: string,
  ) {
    this.partial = join(root, 'partial');
    this.blobs = join(root, 'blobs');
    this.quarantine = join(root, 'quarantine');
    this.index = join(root, 'index.json');
    this.progress = join(root, 'progress.json');
  }

  create(): void {
    for (const d of [this.partial, this.blobs, this.quarantine, this.readyDir]) mkdirSync(d, { recursive: true });
  }

  part(sha: string): string {
    return join(this.partial, `${sha}.part`);
  }
  blob(sha: string): string {
    return join(this.blobs, sha);
  }
  ready(sha: string): string {
    return join(this.readyDir, `${sha}.mp4`);
  }

  /**
   * After a crash: removes temp files (a transcode or index write cut short) and stray names
   * in the work folders. Partial downloads and verified originals are kept to resume. Returns
   * what was removed, and the ready files the index does not know (renamed in before the
   * index was written, or put there by hand): the caller adopts them, never deletes them.
   */
  recover(known: ReadonlySet<string>): { removed: string[]; unknown: string[] } {
    const removed: string[] = [];
    const unknown: string[] = [];
    const drop = (p: string) => {
      rmSync(p, { force: true, recursive: true });
      removed.push(p);
    };
    for (const name of readdirSync(this.readyDir)) {
      const sha = name.slice(0, 64);
      if (name.startsWith('.') && name.endsWith('.partial.mp4')) drop(join(this.readyDir, name));
      else if (name === `${sha}.mp4` && SHA256.test(sha) && !known.has(sha)) unknown.push(sha);
    }
    for (const name of readdirSync(this.root)) {
      if ((name.startsWith('.index.json.') && name.endsWith('.tmp')) || name.startsWith('progress.json')) drop(join(this.root, name));
    }
    for (const dir of [this.partial, this.blobs]) {
      for (const name of readdirSync(dir)) {
        const sha = name.slice(0, 64);
        const ok = SHA256.test(sha) && (dir === this.partial ? name === `${sha}.part` : name === sha);
        if (!ok) drop(join(dir, name));
      }
    }
    return { removed, unknown };
  }

  /** Partial downloads and originals of creatives outside `keep` (the manifest dropped them). */
  pruneWork(keep: ReadonlySet<string>): string[] {
    const removed: string[] = [];
    for (const dir of [this.partial, this.blobs]) {
      for (const name of readdirSync(dir)) {
        if (keep.has(name.slice(0, 64))) continue;
        rmSync(join(dir, name), { force: true });
        removed.push(join(dir, name));
      }
    }
    return removed;
  }
}

/** fsyncs a directory so a rename or unlink in it survives a power cut. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function fileSize(p: string): number | null {
  try {
    return statSync(p).size;
  } catch {
    return null;
  }
}
