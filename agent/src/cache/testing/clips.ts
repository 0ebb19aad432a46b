// Tiny real clips for tests, made by ffmpeg from lavfi sources (1–2 s, small frames), so
// probe and transcode run against real media in well under a second each.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ClipSpec {
  /** A lavfi video source: testsrc, smptebars, rgbtestsrc, testsrc2… */
  src?: string;
  width?: number;
  height?: number;
  fps?: number;
  seconds?: number;
  /** Add a sine tone as an audio stream. */
  audio?: boolean;
}

export function makeClip(ffmpeg: string, dir: string, name: string, s: ClipSpec = {}): { path: string; body: Buffer; sha256: string } {
  const path = join(dir, `${name}.mp4`);
  const { src = 'testsrc', width = 160, height = 96, fps = 25, seconds = 1 } = s;
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `${src}=size=${width}x${height}:rate=${fps}:duration=${seconds}`];
  if (s.audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`);
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', ...(s.audio ? ['-c:a', 'aac', '-shortest'] : []), path);
  execFileSync(ffmpeg, args, { timeout: 30_000 });
  const body = readFileSync(path);
  return { path, body, sha256: createHash('sha256').update(body).digest('hex') };
}
