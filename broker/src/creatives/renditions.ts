// One upload, transcoded once to each of the network's screen profiles with the agent's own
// transcode (so a box plays exactly what the cloud checked), each output probed before it
// counts. Outputs stay in the work dir until every profile and the preview are done; only
// then are they copied into the content-addressed CreativeStore, so a rejected creative
// never adds a stored file.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SCREEN, MediaError, type ProbeResult, probe, type ScreenProfile, ScreenProfileSchema, transcode } from '@doorcast/agent/media';
import type { Rendition } from './creative-rows.js';
import type { CreativeStore } from './creative-store.js';
import { isTruncated, UploadError } from './upload-rules.js';

export interface NamedProfile {
  /** Stable, shown in renditions: lowercase letters, digits and dashes. */
  name: string;
  profile: ScreenProfile;
}

export const DEFAULT_PROFILES: readonly NamedProfile[] = Object.freeze([{ name: 'gate-7in', profile: DEFAULT_SCREEN }]);

export function validateProfiles(profiles: readonly NamedProfile[]): void {
  if (!profiles.length) throw new TypeError('profiles: at least one');
  const seen = new Set<string>();
  for (const [i, p] of profiles.entries()) {
    if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(p.name)) throw new TypeError(`profiles[${i}].name: 1–40 of a-z, 0-9 and -`);
    if (seen.has(p.name)) throw new TypeError(`profiles[${i}].name: ${p.name} twice`);
    seen.add(p.name);
    const r = ScreenProfileSchema.safeParse(p.profile);
    if (!r.success) throw new TypeError(`profiles[${i}].profile.${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`);
  }
}

/** A verified transcode, still in the work dir. */
export interface RenderedFile extends Omit<Rendition, 'sha256' | 'bytes'> {
  path: string;
}

export interface RenderOptions {
  ffmpeg: string;
  ffprobe: string;
  signal: AbortSignal;
  /** Where outputs are written: the work dir's tmp/, cleaned on start(). */
  dir: string;
  /** Names the outputs, so leftovers are traceable. */
  id: string;
  onTranscoded?: (profile: string, seconds: number) => void;
}

/**
 * Transcodes `source` to every profile. Throws UploadError('corrupt' | 'truncated') when the
 * file is at fault, a MediaError otherwise (ours: retry; 'aborted': stop()). Leaves no output
 * behind when it throws.
 */
export async function renderAll(source: string, src: ProbeResult, profiles: readonly NamedProfile[], o: RenderOptions): Promise<RenderedFile[]> {
  const done: RenderedFile[] = [];
  try {
    for (const { name, profile } of profiles) done.push(await renderOne(source, src, name, profile, o));
    return done;
  } catch (err) {
    discard(done);
    throw err;
  }
}

async function renderOne(source: string, src: ProbeResult, name: string, profile: ScreenProfile, o: RenderOptions): Promise<RenderedFile> {
  const path = join(o.dir, `${o.id}.${name}.mp4`);
  const expectedMs = Math.min(src.durationMs ?? profile.maxDurationMs, profile.maxDurationMs);
  const started = performance.now();
  try {
    await transcode(o.ffmpeg, source, path, profile, {
      audio: src.audio !== undefined,
      signal: o.signal,
      // As the agent's cache does: generous, but a hung ffmpeg cannot hold the queue forever.
      timeoutMs: Math.max(120_000, expectedMs * 40),
    });
  } catch (err) {
    if (err instanceof MediaError && err.code === 'unplayable') throw new UploadError('corrupt', { profile: name, tool: err.message.slice(0, 400) });
    throw err;
  }
  o.onTranscoded?.(name, (performance.now() - started) / 1000);
  try {
    const out = await probe(o.ffprobe, path, { signal: o.signal });
    // Our output not matching our own arguments is our fault, never the merchant's.
    if (out.video.codec !== 'h264' || out.video.width !== profile.width || out.video.height !== profile.height) {
      throw new MediaError('failed', `${name}: transcoded to ${out.video.codec} ${out.video.width}x${out.video.height}, wanted h264 ${profile.width}x${profile.height}`);
    }
    if (isTruncated(expectedMs, out.durationMs)) throw new UploadError('truncated', { profile: name, expectedMs, durationMs: out.durationMs });
    return { profile: name, path, durationMs: out.durationMs ?? 0, width: out.video.width, height: out.video.height };
  } catch (err) {
    rmSync(path, { force: true });
    if (err instanceof MediaError && err.code === 'unplayable') throw new MediaError('failed', `${name}: own output unreadable: ${err.message}`);
    throw err;
  }
}

export function discard(files: readonly { path: string }[]): void {
  for (const f of files) rmSync(f.path, { force: true });
}

/** Copies the verified outputs into the store (idempotent: same bytes, same name), then drops them. */
export async function commitAll(files: readonly RenderedFile[], store: CreativeStore): Promise<Rendition[]> {
  const out: Rendition[] = [];
  try {
    for (const { path, ...r } of files) {
      const { sha256, bytes } = await store.addFile(path);
      out.push({ ...r, sha256, bytes });
    }
    return out;
  } finally {
    discard(files);
  }
}
