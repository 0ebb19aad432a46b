// Transcode a creative once, on arrival, to the screen profile: size (scaled and padded),
// frame rate and length, H.264 in MP4, so playback never scales. Written to a temporary name
// and renamed, so a half-written file is never played.
import { spawn } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { MediaError, stderrTail } from './media-error.js';
import type { ScreenProfile } from './screen-profile.js';

/** Part of the cache key: bump when the settings below change the output. */
export const TRANSCODE_VERSION = 1;

export function transcode(ffmpeg: string, input: string, output: string, p: ScreenProfile, o: { onProgress?: (ms: number) => void; signal?: AbortSignal } = {}): Promise<void> {
  const tmp = `${output}.partial.mp4`;
  const args = [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-i', input,
    '-t', String(p.maxDurationMs / 1000),
    '-vf', `scale=${p.width}:${p.height}:force_original_aspect_ratio=decrease,pad=${p.width}:${p.height}:-1:-1,fps=${p.fps}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '96k',
    '-movflags', '+faststart', '-progress', 'pipe:1', tmp,
  ];
  return new Promise((resolve, reject) => {
    const proc = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: o.signal });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d;
    });
    proc.stdout.on('data', (d: Buffer) => {
      const m = /out_time_us=(\d+)/.exec(d.toString());
      if (m) o.onProgress?.(Number(m[1]) / 1000);
    });
    proc.on('error', (err) => {
      rmSync(tmp, { force: true });
      reject(o.signal?.aborted ? new MediaError('aborted', 'transcode aborted') : new MediaError('failed', `ffmpeg did not run: ${err.message}`));
    });
    proc.on('close', (code) => {
      if (code === 0) {
        renameSync(tmp, output);
        return resolve();
      }
      rmSync(tmp, { force: true });
      if (o.signal?.aborted) return reject(new MediaError('aborted', 'transcode aborted'));
      reject(new MediaError('unplayable', `ffmpeg cannot transcode it: ${stderrTail(stderr) || `exit ${code}`}`, { reason: 'transcode-failed' }));
    });
  });
}
