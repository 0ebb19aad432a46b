// What a merchant may upload, decided from ffprobe's answer alone (pure, table-tested): the
// limits, the typed UploadError with a machine reason, and the sentence a shop owner reads.
// DESIGN.md rule 4: bad input gets a clear error and changes nothing.
import { createHash } from 'node:crypto';
import type { MediaError, ProbeResult } from '@doorcast/agent/media';

export interface UploadLimits {
  maxBytes: number;
  minDurationMs: number;
  maxDurationMs: number;
  /** ffprobe codec names. */
  videoCodecs: readonly string[];
  /** Orientation-agnostic: a portrait 2160x3840 phone clip fits 3840x2160. */
  maxWidth: number;
  maxHeight: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = Object.freeze({
  maxBytes: 200 * 1024 * 1024,
  minDurationMs: 1000,
  maxDurationMs: 60_000,
  videoCodecs: Object.freeze(['h264', 'hevc', 'vp8', 'vp9', 'av1', 'mpeg4']),
  maxWidth: 3840,
  maxHeight: 2160,
});

/** The smallest side a screen profile allows (agent ScreenProfileSchema). */
export const MIN_SIDE = 16;

export type UploadErrorCode = 'too-large' | 'empty' | 'unplayable' | 'unsupported' | 'io';

/** Why, for machines. Job-time reasons (corrupt, truncated, internal, original-lost) end up in a row's `reason`. */
export type UploadReason =
  | 'too-large'
  | 'empty'
  | 'unreadable'
  | 'no-video-stream'
  | 'codec'
  | 'no-dimensions'
  | 'no-duration'
  | 'too-long'
  | 'too-short'
  | 'dimensions'
  | 'corrupt'
  | 'truncated'
  | 'internal'
  | 'original-lost'
  | 'body'
  | 'probe'
  | 'busy'
  | 'stopped'
  | 'not-found'
  | 'timeout';

const CODE_OF: Record<UploadReason, UploadErrorCode> = {
  'too-large': 'too-large',
  empty: 'empty',
  unreadable: 'unplayable',
  'no-video-stream': 'unsupported',
  codec: 'unsupported',
  'no-dimensions': 'unplayable',
  'no-duration': 'unplayable',
  'too-long': 'unplayable',
  'too-short': 'unplayable',
  dimensions: 'unplayable',
  corrupt: 'unplayable',
  truncated: 'unplayable',
  internal: 'io',
  'original-lost': 'io',
  body: 'io',
  probe: 'io',
  busy: 'io',
  stopped: 'io',
  'not-found': 'io',
  timeout: 'io',
};

export type UploadDetails = Readonly<Record<string, string | number | undefined>>;

export class UploadError extends Error {
  override readonly name = 'UploadError';
  readonly code: UploadErrorCode;
  /** The message is for the shop owner; `details` (numbers, tool output) are for logs. */
  constructor(
    readonly reason: UploadReason,
    readonly details: UploadDetails = {},
    message = describeReason(reason, details),
  ) {
    super(message);
    this.code = CODE_OF[reason];
  }
}

const seconds = (ms: unknown) => (typeof ms === 'number' ? `${Math.round(ms / 100) / 10} s` : 'unknown');
const mib = (b: unknown) => (typeof b === 'number' ? `${Math.ceil(b / (1024 * 1024))} MB` : 'too many MB');
const EXPORT = 'Export it again as MP4 (H.264) and upload that.';

/** The sentence a shop owner reads for a reason; details fill in the numbers when known. */
export function describeReason(reason: string, d: UploadDetails = {}): string {
  switch (reason as UploadReason) {
    case 'too-large':
      return `This file is ${d.bytes === undefined ? 'too large' : mib(d.bytes)}; the most we accept is ${mib(d.maxBytes)}. Upload a shorter or smaller version.`;
    case 'empty':
      return 'No file arrived: the upload was empty. Please choose the video file again.';
    case 'unreadable':
      return `This file is not a video we can read, or it is damaged. ${EXPORT}`;
    case 'no-video-stream':
      return 'This file has no picture (it may be sound only). Please upload a video.';
    case 'codec':
      return `This video is encoded as ${d.codec ?? 'a format'} that the door screens cannot play. ${EXPORT}`;
    case 'no-dimensions':
    case 'no-duration':
      return `We cannot tell the size or length of this video; it may be damaged. ${EXPORT}`;
    case 'too-long':
      return `This video is ${seconds(d.durationMs)} long; the longest we accept is ${seconds(d.maxDurationMs)}.`;
    case 'too-short':
      return `This video is ${seconds(d.durationMs)} long; the shortest we accept is ${seconds(d.minDurationMs)}.`;
    case 'dimensions':
      return `This video is ${d.width}×${d.height} pixels; we accept from ${MIN_SIDE}×${MIN_SIDE} up to ${d.maxWidth}×${d.maxHeight}.`;
    case 'corrupt':
      return `This video is damaged: it cannot be decoded. ${EXPORT}`;
    case 'truncated':
      return 'This video stops partway: the file looks cut short. Please upload the complete file.';
    case 'internal':
    case 'original-lost':
      return 'We could not prepare this video because of a problem on our side. Please upload it again.';
    case 'body':
      return 'The upload was interrupted before the whole file arrived. Please try again.';
    case 'probe':
    case 'busy':
    case 'stopped':
    case 'timeout':
      return 'We cannot check videos right now. Please try again in a few minutes.';
    case 'not-found':
      return 'No such video.';
    default:
      return `This video was refused (${reason}).`;
  }
}

/** Reasons that are ours, not the file's: uploading the same bytes again tries once more. */
export function isRetryableReason(reason: string | null): boolean {
  return reason === 'internal' || reason === 'original-lost';
}

export function validateLimits(l: UploadLimits): void {
  const positive = (name: keyof UploadLimits, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new TypeError(`limits.${name}: a positive integer`);
  };
  positive('maxBytes', l.maxBytes);
  positive('minDurationMs', l.minDurationMs);
  positive('maxDurationMs', l.maxDurationMs);
  positive('maxWidth', l.maxWidth);
  positive('maxHeight', l.maxHeight);
  if (l.minDurationMs > l.maxDurationMs) throw new TypeError('limits.minDurationMs: at most maxDurationMs');
  if (!l.videoCodecs.length) throw new TypeError('limits.videoCodecs: at least one codec');
}

/** Refuses a declared length (content-length) over the cap before a byte is read. */
export function checkDeclaredBytes(declared: number | undefined, l: UploadLimits): void {
  if (declared === undefined) return;
  if (!Number.isSafeInteger(declared) || declared < 0) throw new TypeError('declaredBytes: a byte count');
  if (declared > l.maxBytes) throw new UploadError('too-large', { bytes: declared, maxBytes: l.maxBytes });
  if (declared === 0) throw new UploadError('empty');
}

export interface CheckedMedia {
  durationMs: number;
  width: number;
  height: number;
  codec: string;
}

/** Pure: what ffprobe said → the facts stored on the row, or the UploadError that refuses it. */
export function checkMedia(p: ProbeResult, l: UploadLimits): CheckedMedia {
  const { codec, width, height } = p.video;
  if (!l.videoCodecs.includes(codec)) throw new UploadError('codec', { codec });
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  if (short < MIN_SIDE || long > Math.max(l.maxWidth, l.maxHeight) || short > Math.min(l.maxWidth, l.maxHeight)) {
    throw new UploadError('dimensions', { width, height, maxWidth: l.maxWidth, maxHeight: l.maxHeight });
  }
  const durationMs = p.durationMs;
  if (durationMs === undefined) throw new UploadError('no-duration');
  if (durationMs > l.maxDurationMs) throw new UploadError('too-long', { durationMs, maxDurationMs: l.maxDurationMs });
  if (durationMs < l.minDurationMs) throw new UploadError('too-short', { durationMs, minDurationMs: l.minDurationMs });
  return { durationMs, width, height, codec };
}

const PROBE_REASON: Readonly<Record<string, UploadReason>> = {
  'no-video-stream': 'no-video-stream',
  'no-dimensions': 'no-dimensions',
  'zero-duration': 'no-duration',
};

/** A MediaError from probing an upload, in upload terms. */
export function fromProbeError(e: MediaError): UploadError {
  const detail = { tool: e.message.slice(0, 400) };
  switch (e.code) {
    case 'unplayable':
      return new UploadError(PROBE_REASON[String(e.context.reason)] ?? 'unreadable', detail);
    case 'aborted':
      return new UploadError('stopped', detail);
    case 'failed':
    case 'timeout':
      return new UploadError('probe', detail);
  }
}

const MAX_NAME = 120;

/** The merchant's file name, for display: no path, no control or bidi characters, bounded. */
export function sanitiseName(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? '';
  const clean = base
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
  // Code points, so a cut never splits a surrogate pair.
  const bounded = Array.from(clean).slice(0, MAX_NAME).join('').trim();
  return bounded || 'untitled';
}

/** Stable per merchant and bytes, so a retried upload finds its creative (DESIGN.md rule 2). */
export function creativeId(merchantId: string, sha256: string): string {
  return `cr_${createHash('sha256').update(`${merchantId}\n${sha256}`).digest('hex').slice(0, 20)}`;
}

/** Where the preview still is taken: 1 s in, or halfway through a shorter clip. */
export function previewAtMs(durationMs: number): number {
  return Math.max(0, Math.min(1000, Math.floor(durationMs / 2)));
}

/**
 * A rendition cut short of what the source promised means the decoder gave up early (a
 * truncated mdat makes ffmpeg exit 0 with half a clip): the file's fault.
 */
export function isTruncated(expectedMs: number, gotMs: number | undefined): boolean {
  if (gotMs === undefined) return true;
  return expectedMs - gotMs > Math.max(500, expectedMs * 0.1);
}
