// Transcode a creative once, on arrival, to the screen profile: scaled and padded to the
// screen's size, its frame rate, cut at its longest clip, H.264 yuv420p in MP4, audio kept as
// AAC when there is some. Playback then never scales. Written under a temp name beside the
// output and renamed, so a half-written file is never where the player looks.
import { spawn } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MediaError, stderrTail } from './media-error.js';
import type { ScreenProfile } from './screen-profile.js';

/** Part of the cache's profile key: bump when the arguments below change the output. */
export const TRANSCODE_VERSION = 2;

/**
 * Everything that changes the output bytes. Pixel format is not in it: the player converts
 * to the screen's format while decoding.
 */
export function profileKey(p: Pick<ScreenProfile, 'width' | 'height' | 'fps' | 'maxDurationMs'>): string {
  return `${p.width}x${p.height}@${p.fps}/${p.maxDurationMs}/v${TRANSCODE_VERSION}`;
}

export interface TranscodeOptions {
  /** Keep the input's first audio stream (as AAC); otherwise the output has none. */
  audio?: boolean;
  /** Called with the output time reached (ms), from `-progress`. */
  onProgress?: (doneMs: number) => void;
  signal?: AbortSignal;
  /** Hard limit; ffmpeg is killed past it. Default 10 min. */
  timeoutMs?: number;
}

/** Pure: the ffmpeg arguments for one transcode. */
export function transcodeArgs(input: string, output: string, p: ScreenProfile, audio: boolean): string[] {
  const { width: w, height: h, fps } = p;
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-nostats', '-y',
    '-i', input,
    '-map', '0:v:0', ...(audio ? ['-map', '0:a:0'] : []),
    '-t', (p.maxDurationMs / 1000).toFixed(3),
    '-vf', `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${fps}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', String(fps * 2),
    ...(audio ? ['-c:a', 'aac', '-b:a', '96k'] : ['-an']),
    '-sn', '-dn', '-map_metadata', '-1',
    '-movflags', '+faststart', '-f', 'mp4',
    '-progress', 'pipe:1',
    output,
  ];
}

/** Failures that are the machine's, not the input's: never quarantine a good creative for them. */
const MACHINE = /No space left|Cannot allocate memory|Permission denied|Read-only file system|not divisible by 2|Unknown encoder|Invalid argument.*pad|Error opening output/i;

export function transcode(ffmpeg: string, input: string, output: string, p: ScreenProfile, o: TranscodeOptions = {}): Promise<void> {
  const tmp = join(dirname(output), `.${basename(output)}.partial.mp4`);
  const timeoutMs = o.timeoutMs ?? 600_000;
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(new MediaError('aborted', 'transcode aborted'));
    const proc = spawn(ffmpeg, transcodeArgs(input, tmp, p, o.audio ?? false), { stdio: ['ignore', 'pipe', 'pipe'], signal: o.signal, timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stderr = '';
    let line = '';
    let spawnError: NodeJS.ErrnoException | null = null;
    proc.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 8000) stderr += d.toString();
    });
    proc.stdout.on('data', (d: Buffer) => {
      const lines = (line + d.toString()).split('\n');
      line = lines.pop() ?? '';
      for (const l of lines) {
        // out_time_us (out_time_ms is microseconds too, despite its name).
        const m = /^out_time_us=(\d+)/.exec(l);
        if (m) o.onProgress?.(Number(m[1]) / 1000);
      }
    });
    proc.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
    });
    proc.on('close', (code, signal) => {
      if (code === 0 && !o.signal?.aborted) {
        try {
          renameSync(tmp, output);
        } catch (err) {
          rmSync(tmp, { force: true });
          return reject(new MediaError('failed', `transcoded file not published: ${(err as Error).message}`, { output }));
        }
        return resolve();
      }
      rmSync(tmp, { force: true });
      if (o.signal?.aborted) return reject(new MediaError('aborted', 'transcode aborted'));
      const se = spawnError as NodeJS.ErrnoException | null;
      if (se && se.code !== 'ABORT_ERR') return reject(new MediaError('failed', `ffmpeg cannot be run (${se.code ?? se.message}): install ffmpeg or set DOORCAST_FFMPEG`, { tool: ffmpeg }));
      if (signal) return reject(signal === 'SIGKILL' && code === null ? new MediaError('timeout', `ffmpeg killed (${signal}): over ${timeoutMs} ms or out of memory`, { signal }) : new MediaError('failed', `ffmpeg killed by ${signal}`, { signal }));
      const why = stderrTail(stderr) || `exit ${code}`;
      if (MACHINE.test(stderr)) return reject(new MediaError('failed', `ffmpeg failed: ${why}`, { exit: code }));
      reject(new MediaError('unplayable', `ffmpeg cannot transcode it: ${why}`, { reason: 'transcode-failed', exit: code }));
    });
  });
}
