// Typed store errors. 'full' and 'io' are transient from the caller's point of view: the
// event is not acked (Delivery 'failed'), the controller retries, the agent keeps running.
import { statfsSync } from 'node:fs';

export type StoreErrorCode =
  /** Disk or database full (SQLITE_FULL, or an I/O error with no free space left). */
  | 'full'
  /** The file is not a database or a page is damaged. */
  | 'corrupt'
  /** The store was closed. */
  | 'closed'
  /** Any other I/O or SQLite failure. */
  | 'io'
  /** Bad input: rejected before anything was written. */
  | 'invalid'
  /** The database was written by a newer agent (schema version ahead of this code). */
  | 'schema';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly context: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }

  /**
   * Maps a better-sqlite3 (or fs) error to a StoreError. `dir` is the database's folder:
   * an I/O error there with (almost) no free space left is reported as 'full', because a
   * disk that fills up mid-write can surface as SQLITE_IOERR_* rather than SQLITE_FULL
   * (e.g. growing the -shm file).
   */
  static from(err: unknown, what: string, dir?: string): StoreError {
    if (err instanceof StoreError) return err;
    const e = err as { code?: unknown; message?: unknown };
    const code = typeof e.code === 'string' ? e.code : '';
    const message = typeof e.message === 'string' ? e.message : String(err);
    if (code === 'SQLITE_FULL' || code === 'ENOSPC' || /database or disk is full/.test(message)) {
      return new StoreError('full', `${what}: disk or database full`, { sqlite: code });
    }
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || /malformed|not a database/.test(message)) {
      return new StoreError('corrupt', `${what}: database corrupt (${message})`, { sqlite: code });
    }
    if (/connection is not open/.test(message)) return new StoreError('closed', `${what}: store closed`);
    if (code.startsWith('SQLITE_IOERR') && dir !== undefined && freeBytes(dir) < LOW_SPACE_BYTES) {
      return new StoreError('full', `${what}: disk full (${code})`, { sqlite: code });
    }
    return new StoreError('io', `${what}: ${message}`, { sqlite: code });
  }
}

/** Below this much free space, an I/O error is taken to mean "disk full". */
const LOW_SPACE_BYTES = 1 << 20;

function freeBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Runs fn, turning anything it throws into a StoreError. */
export function guard<T>(what: string, fn: () => T, dir?: string): T {
  try {
    return fn();
  } catch (err) {
    throw StoreError.from(err, what, dir);
  }
}
