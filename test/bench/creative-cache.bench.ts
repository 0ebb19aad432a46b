// Issue 4: the creative cache. Download over loopback (sha256 while writing, fsync, rename) in
// MB/s; the cost of resuming (re-hashing the part already on disk); and one transcode to the
// default 800×480@25 screen, as wall seconds per second of clip (below 1 = faster than real time).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { download } from '../../agent/src/cache/download.js';
import { makeClip } from '../../agent/src/cache/testing/clips.js';
import { startCreativeServer } from '../../agent/src/cache/testing/creative-server.js';
import { locate } from '../../agent/src/media/ffmpeg.js';
import { DEFAULT_SCREEN } from '../../agent/src/media/screen-profile.js';
import { transcode } from '../../agent/src/media/transcode.js';
import { type BenchResult, median, round } from './result.js';

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-bench-cache-'));
  const srv = await startCreativeServer();
  const out: BenchResult[] = [];
  try {
    const size = 32 * 2 ** 20;
    const body = randomBytes(size);
    const sha256 = createHash('sha256').update(body).digest('hex');
    srv.files.set('/c', body);
    const t = (i: number) => ({ url: new URL('/c', srv.base), sha256, bytes: size, part: join(dir, `${i}.part`), dest: join(dir, `${i}`) });
    const full: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      await download(t(i));
      full.push(performance.now() - s);
      rmSync(t(i).dest);
    }
    out.push({ name: 'download 32 MiB over loopback (hash + fsync + rename)', value: round(size / 2 ** 20 / (median(full) / 1000), 0), unit: 'MiB/s', note: 'median of 5' });
    const resume: number[] = [];
    for (let i = 0; i < 5; i++) {
      writeFileSync(t(i).part, body.subarray(0, size - 1024));
      const s = performance.now();
      await download(t(i));
      resume.push(performance.now() - s);
      rmSync(t(i).dest);
    }
    out.push({ name: 'resume with 1 KiB left of 32 MiB (re-hash the part)', value: round(median(resume), 1), unit: 'ms', note: 'median of 5' });

    const ffmpeg = locate('ffmpeg');
    const seconds = 5;
    const clip = makeClip(ffmpeg, dir, 'src', { width: 1280, height: 720, fps: 25, seconds, audio: true });
    const tc: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      await transcode(ffmpeg, clip.path, join(dir, `t${i}.mp4`), DEFAULT_SCREEN, { audio: true });
      tc.push(performance.now() - s);
    }
    out.push({ name: 'transcode 1280×720 → 800×480@25 with audio', value: round(median(tc) / 1000 / seconds, 3), unit: 's per s of clip', note: `median of 3, ${seconds} s clip` });
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
