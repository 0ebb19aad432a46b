// Creatives on disk, addressed by the SHA-256 of their bytes: <dir>/<sha256>. A file is
// written to a temporary name and renamed into place only once its hash is known.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MAX_CREATIVE_BYTES } from '../contract.js';

export interface CreativeInfo {
  sha256: string;
  bytes: number;
}

export class CreativeError extends Error {
  override readonly name = 'CreativeError';
  constructor(
    readonly code: 'too-large' | 'empty' | 'io',
    message: string,
  ) {
    super(message);
  }
}

export class CreativeStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new TypeError('sha256: 64 lowercase hex chars');
    return join(this.dir, sha256);
  }

  /** Size of a stored creative, or null. */
  stat(sha256: string): CreativeInfo | null {
    try {
      return { sha256, bytes: statSync(this.pathOf(sha256)).size };
    } catch {
      return null;
    }
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
      await pipeline(createReadStream(path), meter, createWriteStream(tmp, { mode: 0o600 }));
      if (bytes === 0) throw new CreativeError('empty', 'creative is empty');
      const sha256 = hash.digest('hex');
      renameSync(tmp, this.pathOf(sha256));
      return { sha256, bytes };
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err instanceof CreativeError ? err : new CreativeError('io', `add ${path}: ${(err as Error).message}`);
    }
  }
}
