// Typed store errors. 'full' and 'io' are transient from the caller's point of view: the
// event is not acked and the controller retries; the agent keeps running.
export type StoreErrorCode = 'full' | 'corrupt' | 'closed' | 'io' | 'invalid';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly context: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }

  /** Maps a better-sqlite3 error to a StoreError. */
  static from(err: unknown, what: string): StoreError {
    if (err instanceof StoreError) return err;
    const e = err as { code?: string; message?: string };
    const code = e.code ?? '';
    if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE' || /database or disk is full/.test(e.message ?? '')) {
      return new StoreError('full', `${what}: disk or database full`, { sqlite: code });
    }
    if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') return new StoreError('corrupt', `${what}: database corrupt`, { sqlite: code });
    if (/not open/.test(e.message ?? '')) return new StoreError('closed', `${what}: store closed`);
    return new StoreError('io', `${what}: ${e.message ?? String(err)}`, { sqlite: code });
  }
}
