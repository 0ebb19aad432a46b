// Creatives on disk, addressed by the SHA-256 of their bytes: <dir>/<sha256>. A file is
// written to a temporary name, fsynced, and renamed into place only once its hash is known.
//
// Clustered (the state db is PostgreSQL), addFile also stores the bytes there (creative-blobs.ts)
// before it resolves, and the dir becomes a cache: a node that did not add a creative answers
// stat() from the shared row and fetches the file with ensureLocal() before serving it.
// Embedded (SQLite or no state db), creatives are the files alone, as they always were.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { type FileHandle, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MAX_CREATIVE_BYTES } from '../contract.js';
import type { StateDb } from '../db/state-db.js';
import { CreativeBlobs } from './creative-blobs.js';

export interface CreativeInfo {
  sha256: string;
  bytes: number;
}

export class CreativeError extends Error {
  override readonly name = 'CreativeError';
  constructor(
    /** corrupt: the shared copy does not hash to its name (or has a chunk missing). */
    readonly code: 'too-large' | 'empty' | 'io' | 'corrupt',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface CreativeStoreOptions {
  /** The broker's state db. Only when it is PostgreSQL are creatives kept in it too. */
  shared?: StateDb;
}

const SHA256 = /^[0-9a-f]{64}$/;

export class CreativeStore {
  readonly #blobs: CreativeBlobs | null;
  /** Downloads in flight, by sha256: concurrent requests for one creative share one. */
  readonly #fetching = new Map<string, Promise<string | null>>();

  constructor(
    readonly dir: string,
    o: CreativeStoreOptions = {},
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.#blobs = o.shared?.kind === 'postgres' ? new CreativeBlobs(o.shared) : null;
  }

  /** Whether creatives are kept in a store every node shares. */
  get shared(): boolean {
    return this.#blobs !== null;
  }

  /** Where the creative's file is (or would be) on this node; see ensureLocal. */
  pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new TypeError('sha256: 64 lowercase hex chars');
    return join(this.dir, sha256);
  }

  /** Size of a stored creative, or null: the local file, else the shared copy. */
  async stat(sha256: string): Promise<CreativeInfo | null> {
    if (!SHA256.test(sha256)) return null;
    const local = await localSize(this.pathOf(sha256));
    if (local !== null) return { sha256, bytes: local };
    const meta = await this.#blobs?.meta(sha256);
    return meta ? { sha256, bytes: meta.bytes } : null;
  }

  /**
   * The path of the creative's local file, fetching it from the shared store first if this
   * node does not have it; null if it is nowhere. Rejects with CreativeError ('corrupt' when
   * the shared bytes do not hash to the name), leaving no file behind.
   */
  async ensureLocal(sha256: string): Promise<string | null> {
    const path = this.pathOf(sha256);
    if ((await localSize(path)) !== null) return path;
    if (!this.#blobs) return null;
    let p = this.#fetching.get(sha256);
    if (!p) {
      p = this.#download(this.#blobs, sha256, path).finally(() => this.#fetching.delete(sha256));
      this.#fetching.set(sha256, p);
    }
    return p;
  }

  /** Copies a file in, hashing as it goes. Idempotent: the same bytes land at the same name. */
  async addFile(path: string): Promise<CreativeInfo> {
    const tmp = join(this.dir, `.incoming-${randomUUID()}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        if (bytes > MAX_CREATIVE_BYTES) return cb(new CreativeError('too-large', `creative over ${MAX_CREATIVE_BYTES} bytes`));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      // flush: fsync before close. Durable before it is named: a crash after the rename must
      // not leave a short file under a creative's hash.
      await pipeline(createReadStream(path), meter, createWriteStream(tmp, { flags: 'wx', mode: 0o600, flush: true }));
      if (bytes === 0) throw new CreativeError('empty', 'creative is empty');
      const sha256 = hash.digest('hex');
      // Shared first: if that fails nothing is added anywhere, and a retry starts clean.
      await this.#blobs?.put(sha256, tmp, bytes);
      await rename(tmp, this.pathOf(sha256));
      await syncDir(this.dir);
      return { sha256, bytes };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err instanceof CreativeError ? err : new CreativeError('io', `add ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Streams the chunks to a temp file, hashing as it goes; renamed into place only if it matches. */
  async #download(blobs: CreativeBlobs, sha256: string, path: string): Promise<string | null> {
    const tmp = join(this.dir, `.fetch-${randomUUID()}`);
    try {
      const meta = await blobs.meta(sha256);
      if (!meta) return null;
      const fh = await open(tmp, 'wx', 0o600);
      try {
        const hash = createHash('sha256');
        const chunks = Math.ceil(meta.bytes / meta.chunkBytes);
        for (let n = 0; n < chunks; n++) {
          const data = await blobs.chunk(sha256, n);
          const want = Math.min(meta.chunkBytes, meta.bytes - n * meta.chunkBytes);
          if (data?.length !== want) throw new CreativeError('corrupt', `creative ${sha256}: shared chunk ${n} is ${data ? `${data.length} bytes, not ${want}` : 'missing'}`);
          hash.update(data);
          await writeFully(fh, data);
        }
        const got = hash.digest('hex');
        if (got !== sha256) throw new CreativeError('corrupt', `creative ${sha256}: shared copy hashes to ${got}`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
      await syncDir(this.dir);
      return path;
    } catch (err) {
      await rm(tmp, { force: true });
      throw err instanceof CreativeError ? err : new CreativeError('io', `fetch ${sha256}: ${(err as Error).message}`, { cause: err });
    }
  }
}

async function localSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

async function writeFully(fh: FileHandle, data: Buffer): Promise<void> {
  for (let done = 0; done < data.length; ) done += (await fh.write(data, done, data.length - done)).bytesWritten;
}

/** fsync of the directory: makes a rename into it durable. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
