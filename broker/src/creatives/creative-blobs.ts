// Creative bytes in the PostgreSQL every node of a cluster shares, so a creative added on one
// node can be served by any other (there the local creatives dir is only a cache). Bytes are
// kept in 1 MiB chunk rows: no statement and no result ever carries a whole creative, so memory
// stays bounded on both sides whatever the size (up to MAX_CREATIVE_BYTES). A creative exists
// once its creative_blobs row does; the chunks go in the same transaction, before it.
// Only for PostgreSQL: an embedded (SQLite) broker keeps creatives as files alone.
import { type FileHandle, open } from 'node:fs/promises';
import type { StateDb } from '../db/state-db.js';

export const CHUNK_BYTES = 1 << 20;

export interface BlobMeta {
  bytes: number;
  /** Size of every chunk but the last; recorded so the chunk size may change for new blobs. */
  chunkBytes: number;
}

export class CreativeBlobs {
  constructor(
    readonly db: StateDb,
    readonly now: () => Date = () => new Date(),
  ) {
    if (db.kind !== 'postgres') throw new TypeError('CreativeBlobs: needs the PostgreSQL state db (embedded creatives are files only)');
  }

  async meta(sha256: string): Promise<BlobMeta | null> {
    const row = await this.db.get<{ bytes: number; chunk_bytes: number }>('SELECT bytes, chunk_bytes FROM creative_blobs WHERE sha256 = ?', [sha256]);
    return row ? { bytes: row.bytes, chunkBytes: row.chunk_bytes } : null;
  }

  /**
   * Stores the file at `path`, `bytes` long, whose SHA-256 the caller has just computed.
   * Durable when it resolves (commit). Idempotent: a blob already there is left alone, and
   * two nodes adding the same bytes at once meet on the primary keys (DO NOTHING).
   */
  async put(sha256: string, path: string, bytes: number): Promise<void> {
    if (bytes <= 0) throw new RangeError('put: empty blob');
    if (await this.meta(sha256)) return;
    const chunks = Math.ceil(bytes / CHUNK_BYTES);
    await this.db.tx(async (q) => {
      // May run again after a deadlock: it only reads the (immutable) file afresh.
      const fh = await open(path, 'r');
      try {
        // One buffer, reused: each INSERT has been sent and answered before the next read.
        const buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, bytes));
        for (let n = 0; n < chunks; n++) {
          const want = Math.min(CHUNK_BYTES, bytes - n * CHUNK_BYTES);
          await readFully(fh, buf, want, n * CHUNK_BYTES, path);
          await q.run('INSERT INTO creative_chunks (sha256, n, data) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [sha256, n, buf.subarray(0, want)]);
        }
      } finally {
        await fh.close();
      }
      await q.run('INSERT INTO creative_blobs (sha256, bytes, chunk_bytes, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [
        sha256,
        bytes,
        CHUNK_BYTES,
        this.now().toISOString(),
      ]);
    });
  }

  /** Chunk n of a blob, or undefined if that row is missing. */
  async chunk(sha256: string, n: number): Promise<Buffer | undefined> {
    const row = await this.db.get<{ data: Buffer }>('SELECT data FROM creative_chunks WHERE sha256 = ? AND n = ?', [sha256, n]);
    return row?.data;
  }
}

async function readFully(fh: FileHandle, buf: Buffer, length: number, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw new Error(`${path}: shorter than expected`);
    done += bytesRead;
  }
}
