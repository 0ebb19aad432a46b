// ffprobe a file and say, in domain terms, what it holds: container, duration, the video
// stream's codec, size and frame rate. Unplayable input (not media, no video, zero length)
// is a MediaError('unplayable') with the reason.
import { execFile } from 'node:child_process';
import { z } from 'zod';
import { MediaError, stderrTail } from './media-error.js';

const Num = z.union([z.number(), z.string()]).optional();

const StreamSchema = z.looseObject({
  index: z.number().int(),
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  profile: z.string().optional(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  pix_fmt: z.string().optional(),
  r_frame_rate: z.string().optional(),
  avg_frame_rate: z.string().optional(),
  duration: Num,
  nb_frames: Num,
  disposition: z.looseObject({ attached_pic: z.number().optional() }).optional(),
});

export const FfprobeOutputSchema = z.looseObject({
  streams: z.array(StreamSchema).default([]),
  format: z.looseObject({ format_name: z.string().optional(), duration: Num, size: Num }).optional(),
});
export type FfprobeOutput = z.infer<typeof FfprobeOutputSchema>;

export interface StreamInfo {
  index: number;
  type: string;
  codec: string;
}

export interface ProbeResult {
  container: string;
  /** Undefined when neither the container nor the video stream states it. */
  durationMs: number | undefined;
  video: { index: number; codec: string; profile: string | undefined; width: number; height: number; fps: number | undefined; pixFmt: string | undefined };
  /** The first audio stream, kept (as AAC) by the transcode. */
  audio: { index: number; codec: string } | undefined;
  streams: StreamInfo[];
}

function num(v: number | string | undefined): number | undefined {
  if (v === undefined || v === 'N/A') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** "30000/1001" → 29.97; "0/0" or garbage → undefined. */
export function parseRate(rate: string | undefined): number | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(rate ?? '');
  if (!m) return undefined;
  const n = Number(m[1]);
  const d = Number(m[2]);
  return n > 0 && d > 0 ? n / d : undefined;
}

/** Pure: ffprobe's JSON (already parsed) → ProbeResult, or MediaError('unplayable'). */
export function interpretProbe(raw: unknown): ProbeResult {
  const r = FfprobeOutputSchema.safeParse(raw);
  if (!r.success) throw new MediaError('unplayable', `ffprobe output not understood: ${r.error.issues[0]?.message ?? ''}`, { reason: 'probe-output' });
  const { streams, format } = r.data;
  // A cover image in an audio file is a "video" stream too; it is not a clip.
  const v = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  if (!v) throw new MediaError('unplayable', 'no video stream', { reason: 'no-video-stream', streams: streams.map((s) => s.codec_type) });
  if (!v.width || !v.height) throw new MediaError('unplayable', 'video stream has no dimensions', { reason: 'no-dimensions' });
  const seconds = num(format?.duration) ?? num(v.duration);
  if (seconds !== undefined && seconds <= 0) throw new MediaError('unplayable', 'zero duration', { reason: 'zero-duration' });
  if (num(v.nb_frames) === 0) throw new MediaError('unplayable', 'video stream has no frames', { reason: 'zero-duration' });
  const a = streams.find((s) => s.codec_type === 'audio');
  return {
    container: format?.format_name ?? 'unknown',
    durationMs: seconds === undefined ? undefined : Math.round(seconds * 1000),
    video: {
      index: v.index,
      codec: v.codec_name ?? 'unknown',
      profile: v.profile,
      width: v.width,
      height: v.height,
      fps: parseRate(v.avg_frame_rate) ?? parseRate(v.r_frame_rate),
      pixFmt: v.pix_fmt,
    },
    audio: a ? { index: a.index, codec: a.codec_name ?? 'unknown' } : undefined,
    streams: streams.map((s) => ({ index: s.index, type: s.codec_type ?? 'unknown', codec: s.codec_name ?? 'unknown' })),
  };
}

export interface ProbeOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Runs ffprobe on `file`. Exit ≠ 0 means ffprobe could not read it: unplayable. */
export function probe(ffprobe: string, file: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '--', file];
  return new Promise((resolve, reject) => {
    execFile(
      ffprobe,
      args,
      { timeout: options.timeoutMs ?? 15_000, killSignal: 'SIGKILL', maxBuffer: 4 << 20, signal: options.signal, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (options.signal?.aborted) return reject(new MediaError('aborted', 'probe aborted'));
        if (err) {
          const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
          if (e.killed) return reject(new MediaError('timeout', `ffprobe timed out after ${options.timeoutMs ?? 15_000} ms`));
          if (e.code === 'ENOENT' || e.code === 'EACCES') return reject(new MediaError('failed', `ffprobe cannot be run (${e.code}): install ffmpeg or set DOORCAST_FFPROBE`, { tool: ffprobe }));
          if (typeof e.code === 'number') return reject(new MediaError('unplayable', `ffprobe cannot read it: ${stderrTail(stderr) || `exit ${e.code}`}`, { reason: 'probe-failed' }));
          return reject(new MediaError('failed', `ffprobe did not run: ${e.message}`));
        }
        let json: unknown;
        try {
          json = JSON.parse(stdout);
        } catch {
          return reject(new MediaError('unplayable', 'ffprobe printed no JSON', { reason: 'probe-output' }));
        }
        try {
          resolve(interpretProbe(json));
        } catch (e2) {
          reject(e2);
        }
      },
    );
  });
}
