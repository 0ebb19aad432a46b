// Test fixtures for the upload pipeline: tiny real clips from ffmpeg's lavfi sources, upload
// bodies, and a sandbox (state db with a merchant, a CreativeStore, a work dir) that can say
// what it holds, so every rejection can be checked to leave nothing behind.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locate } from '@doorcast/agent/media';
import { Registry } from 'prom-client';
import { openSqliteStateDb } from '../db/database.js';
import type { StateDb } from '../db/state-db.js';
import { silentLogger } from '../obs/log.js';
import { CreativeStore } from './creative-store.js';
import { CreativeUploads, type CreativeUploadsOptions, UploadError } from './uploads.js';

export const ffmpeg = locate('ffmpeg', { tryStatic: false });
export const ffprobe = locate('ffprobe');

export interface ClipSpec {
  seconds?: number;
  width?: number;
  height?: number;
  fps?: number;
  /** ffmpeg encoder; default libx264. */
  codec?: string;
  /** File extension, which picks the container; default mp4. */
  ext?: string;
  /** moov before mdat, so a truncated file still probes. */
  faststart?: boolean;
}

export function makeClip(dir: string, name: string, s: ClipSpec = {}): Buffer {
  const { seconds = 2, width = 320, height = 240, fps = 25, codec = 'libx264', ext = 'mp4' } = s;
  const path = join(dir, `${name}.${ext}`);
  const enc = codec === 'libx264' ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'] : codec === 'gif' || codec === 'png' ? ['-frames:v', codec === 'png' ? '1' : '1000'] : ['-c:v', codec];
  execFileSync(
    ffmpeg,
    ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`, ...enc, ...(s.faststart ? ['-movflags', '+faststart'] : []), path],
    { timeout: 60_000 },
  );
  return readFileSync(path);
}

/** An upload body in chunks, optionally failing after `failAfter` bytes. */
export async function* bodyOf(bytes: Buffer, o: { chunk?: number; failAfter?: number } = {}): AsyncGenerator<Buffer> {
  const chunk = o.chunk ?? 64 * 1024;
  for (let at = 0; at < bytes.length; at += chunk) {
    if (o.failAfter !== undefined && at >= o.failAfter) throw new Error('client went away');
    yield bytes.subarray(at, at + chunk);
  }
}

export interface Sandbox {
  root: string;
  db: StateDb;
  creatives: CreativeStore;
  workDir: string;
  registry: Registry;
  merchantId: string;
  clips: string;
  make(o?: Partial<CreativeUploadsOptions>): CreativeUploads;
  /** Rows, stored creatives and files in the work dir (originals, previews, tmp). */
  state(): Promise<{ rows: number; stored: string[]; originals: string[]; previews: string[]; tmp: string[] }>;
  /** Stops every pipeline it made, then removes everything. */
  destroy(): Promise<void>;
}

const list = (d: string) => (existsSync(d) ? readdirSync(d).sort() : []);

export async function sandbox(prefix: string): Promise<Sandbox> {
  const root = mkdtempSync(join(tmpdir(), `dc-uploads-${prefix}-`));
  const db = openSqliteStateDb(join(root, 'state'));
  const merchantId = 'm_noodles';
  for (const [id, name] of [[merchantId, 'Noodle shop'], ['m_laundry', 'Laundry']]) {
    await db.run('INSERT INTO merchants (id, name, lat, lon, created_at) VALUES (?, ?, ?, ?, ?)', [id, name, 31.2, 121.4, new Date().toISOString()]);
  }
  const creatives = new CreativeStore(join(root, 'store'));
  const workDir = join(root, 'work');
  const clips = join(root, 'clips');
  mkdirSync(clips);
  const registry = new Registry();
  const made: CreativeUploads[] = [];
  return {
    root,
    db,
    creatives,
    workDir,
    registry,
    merchantId,
    clips,
    make(o = {}) {
      const u = new CreativeUploads({ db, creatives, workDir, log: silentLogger, ffmpeg, ffprobe, registry, ...o });
      made.push(u);
      return u;
    },
    async state() {
      const n = (await db.get<{ n: number }>('SELECT count(*) AS n FROM market_creatives'))!;
      return { rows: n.n, stored: list(creatives.dir), originals: list(join(workDir, 'originals')), previews: list(join(workDir, 'previews')), tmp: list(join(workDir, 'tmp')) };
    },
    async destroy() {
      await Promise.all(made.map((u) => u.stop()));
      await db.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** doorcast_broker_uploads_total for one result and reason. */
export async function uploads(r: Registry, result: string, reason = ''): Promise<number> {
  const values = (await r.getSingleMetric('doorcast_broker_uploads_total')?.get())?.values ?? [];
  return values.find((v) => v.labels.result === result && v.labels.reason === reason)?.value ?? 0;
}

/** Polls `ok` every 20 ms, at most `ms`; throws when it never holds. */
export async function until(ok: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The UploadError `p` rejects with; anything else (or success) fails the test. */
export async function refused(p: Promise<unknown>): Promise<UploadError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof UploadError) return err;
    throw err;
  }
  throw new Error('expected an UploadError, it succeeded');
}
