// Typed cache errors. The code says what the caller may do next: 'network', 'timeout' and
// some 'http' statuses are transient (retried with backoff, resuming the .part file);
// 'integrity', 'too-large' and 'unplayable' are faults of the creative itself and end in
// quarantine. CLOUD-LINK.md §7

export type CacheErrorCode =
  /** Bad creative reference (hash, url, size): rejected before anything was fetched. */
  | 'invalid'
  /** Connection failed or broke mid-body (the .part file is kept for resume). */
  | 'network'
  /** No byte for the idle timeout, or the download deadline passed. */
  | 'timeout'
  /** The server answered with a status we cannot use; context.status has it. */
  | 'http'
  /** Content-Length or the bytes received exceed the manifest's size. */
  | 'too-large'
  /** The complete file's size or sha256 is not the one the manifest declared. */
  | 'integrity'
  /** ffprobe/ffmpeg cannot make a playable clip of it (corrupt, no video, zero duration). */
  | 'unplayable'
  /** ffmpeg/ffprobe failed for a reason that is not the creative's fault (missing, crash, disk full). */
  | 'transcode'
  /** The cache was stopped during the operation. */
  | 'stopped';

export class CacheError extends Error {
  override readonly name = 'CacheError';
  constructor(
    readonly code: CacheErrorCode,
    message: string,
    readonly context: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Whether trying again soon (within one sync) may succeed. */
  get transient(): boolean {
    if (this.code === 'network' || this.code === 'timeout') return true;
    const s = this.context.status;
    return this.code === 'http' && typeof s === 'number' && (s >= 500 || s === 408 || s === 429);
  }

  /** Whether the file itself is bad: moved to quarantine and not fetched again for a while. */
  get quarantine(): boolean {
    return this.code === 'integrity' || this.code === 'too-large' || this.code === 'unplayable';
  }
}
