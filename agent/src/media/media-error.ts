// Typed errors of ffprobe/ffmpeg runs. 'unplayable' is the input's fault (quarantine it);
// 'failed' is ours or the machine's (crash, disk full: retry later); 'aborted' means stop().

export type MediaErrorCode = 'unplayable' | 'failed' | 'timeout' | 'aborted';

export class MediaError extends Error {
  override readonly name = 'MediaError';
  constructor(
    readonly code: MediaErrorCode,
    message: string,
    readonly context: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

/** The last non-empty lines of a tool's stderr, bounded: enough to say why, never a flood. */
export function stderrTail(stderr: string, lines = 3, chars = 400): string {
  const tail = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-lines)
    .join(' | ');
  return tail.length > chars ? `…${tail.slice(-chars)}` : tail;
}
