// Locates ffmpeg and ffprobe. ffmpeg-static is an optional dependency whose install
// downloads a binary; where that was impossible we fall back to PATH, and say what to
// install when neither exists.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

export class FfmpegNotFoundError extends Error {
  override readonly name = 'FfmpegNotFoundError';
  readonly code = 'ffmpeg-not-found';
  constructor(readonly tool: 'ffmpeg' | 'ffprobe', readonly searched: string[]) {
    super(`${tool} not found (looked in: ${searched.join(', ') || 'nothing'}). Install it: apt-get install ffmpeg (Debian/Raspberry Pi OS), or set DOORCAST_FFMPEG / DOORCAST_FFPROBE to its path`);
  }
}

export interface LocateOptions {
  /** Explicit path from config or env; when set it must exist. */
  explicit?: string | undefined;
  /** PATH to search; defaults to process.env.PATH. */
  path?: string | undefined;
  /** Whether to try the ffmpeg-static package first (ffmpeg only). */
  tryStatic?: boolean;
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fromStatic(): string | undefined {
  try {
    const req = createRequire(import.meta.url);
    const p = req('ffmpeg-static') as string | null;
    return p && executable(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

export function locate(tool: 'ffmpeg' | 'ffprobe', options: LocateOptions = {}): string {
  const searched: string[] = [];
  const explicit = options.explicit ?? process.env[tool === 'ffmpeg' ? 'DOORCAST_FFMPEG' : 'DOORCAST_FFPROBE'];
  if (explicit) {
    if (executable(explicit)) return explicit;
    throw new FfmpegNotFoundError(tool, [explicit]);
  }
  if (tool === 'ffmpeg' && options.tryStatic !== false) {
    const s = fromStatic();
    searched.push('ffmpeg-static');
    if (s) return s;
  }
  for (const dir of (options.path ?? process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, tool);
    searched.push(dir);
    if (executable(candidate)) return candidate;
  }
  throw new FfmpegNotFoundError(tool, searched);
}

/** Runs `<tool> -version` and returns its first line, proving the binary actually runs. */
export function version(binary: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, ['-version'], { timeout: 10_000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout.split('\n')[0] ?? '');
    });
  });
}
