// The console's still of a creative: one frame of the first rendition as a PNG, 1 s in (or
// halfway through a shorter clip), written under a temp name and checked before it is used.
import { execFile } from 'node:child_process';
import { closeSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { MediaError } from '@doorcast/agent/media';
import { previewAtMs } from './upload-rules.js';

export const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function previewArgs(input: string, output: string, atMs: number): string[] {
  // -ss before -i: a fast seek, exact enough for a still.
  return ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-ss', (atMs / 1000).toFixed(3), '-i', input, '-frames:v', '1', '-an', '-f', 'image2', '-c:v', 'png', output];
}

function isPng(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(PNG_MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(PNG_MAGIC);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function run(ffmpeg: string, args: string[], signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(ffmpeg, args, { timeout: 30_000, killSignal: 'SIGKILL', signal, maxBuffer: 1 << 20 }, (err, _out, stderr) => {
      if (signal.aborted) return reject(new MediaError('aborted', 'preview aborted'));
      if (err) return reject(new MediaError('failed', `preview: ${String(stderr).trim().slice(-400) || err.message}`));
      resolve();
    });
  });
}

/**
 * Writes the still of `input` (our own rendition, so any failure is ours: MediaError 'failed')
 * to `output`, seeking `atMs` in and falling back to the first frame if that yields none.
 */
export async function extractPreview(ffmpeg: string, input: string, output: string, durationMs: number, signal: AbortSignal): Promise<{ bytes: number; atMs: number }> {
  try {
    for (const atMs of new Set([previewAtMs(durationMs), 0])) {
      await run(ffmpeg, previewArgs(input, output, atMs), signal);
      if (isPng(output)) return { bytes: statSync(output).size, atMs };
    }
    throw new MediaError('failed', 'preview: ffmpeg wrote no PNG');
  } catch (err) {
    rmSync(output, { force: true });
    throw err;
  }
}
