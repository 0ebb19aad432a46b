// upload-rules.ts, pure: what ffprobe said → accepted facts or the typed refusal, names,
// ids, the preview instant and the truncation check.
import { MediaError, type ProbeResult } from '@doorcast/agent/media';
import { describe, expect, it } from 'vitest';
import {
  checkDeclaredBytes,
  checkMedia,
  creativeId,
  DEFAULT_UPLOAD_LIMITS,
  describeReason,
  fromProbeError,
  isTruncated,
  previewAtMs,
  sanitiseName,
  UploadError,
  type UploadLimits,
  validateLimits,
} from './upload-rules.js';

const limits = DEFAULT_UPLOAD_LIMITS;

function probed(v: Partial<ProbeResult['video']> = {}, durationMs: number | undefined = 5000): ProbeResult {
  return {
    container: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationMs,
    video: { index: 0, codec: 'h264', profile: 'High', width: 1920, height: 1080, fps: 25, pixFmt: 'yuv420p', ...v },
    audio: undefined,
    streams: [{ index: 0, type: 'video', codec: v.codec ?? 'h264' }],
  };
}

function refusal(f: () => unknown): UploadError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UploadError);
    return err as UploadError;
  }
  throw new Error('expected an UploadError');
}

describe('checkMedia', () => {
  it.each<[string, ProbeResult, string, string]>([
    ['ProRes', probed({ codec: 'prores' }), 'unsupported', 'codec'],
    ['mjpeg', probed({ codec: 'mjpeg' }), 'unsupported', 'codec'],
    ['a GIF', probed({ codec: 'gif' }), 'unsupported', 'codec'],
    ['8K', probed({ width: 7680, height: 4320 }), 'unplayable', 'dimensions'],
    ['a sliver', probed({ width: 1920, height: 8 }), 'unplayable', 'dimensions'],
    ['wider than 4K', probed({ width: 3842, height: 1080 }), 'unplayable', 'dimensions'],
    ['61 s', probed({}, 61_000), 'unplayable', 'too-long'],
    ['0.9 s', probed({}, 900), 'unplayable', 'too-short'],
    ['an unknown length', { ...probed(), durationMs: undefined }, 'unplayable', 'no-duration'],
  ])('refuses %s', (_n, p, code, reason) => {
    const e = refusal(() => checkMedia(p, limits));
    expect([e.code, e.reason]).toEqual([code, reason]);
    expect(e.message).not.toMatch(/undefined|NaN/);
  });

  it.each<[string, ProbeResult]>([
    ['1080p H.264', probed()],
    ['4K portrait HEVC (orientation does not matter)', probed({ codec: 'hevc', width: 2160, height: 3840 })],
    ['exactly 60 s', probed({ codec: 'vp9' }, 60_000)],
    ['exactly 1 s', probed({ codec: 'av1', width: 16, height: 16 }, 1000)],
  ])('accepts %s', (_n, p) => {
    expect(checkMedia(p, limits)).toEqual({ durationMs: p.durationMs, width: p.video.width, height: p.video.height, codec: p.video.codec });
  });

  it('uses the limits it is given', () => {
    const tight: UploadLimits = { ...limits, maxDurationMs: 2000, videoCodecs: ['vp8'] };
    expect(refusal(() => checkMedia(probed({ codec: 'vp8' }, 2500), tight)).reason).toBe('too-long');
    expect(refusal(() => checkMedia(probed({}, 1500), tight)).reason).toBe('codec');
  });
});

describe('declared bytes and probe errors', () => {
  it.each<[number | undefined, string | null]>([
    [undefined, null],
    [1, null],
    [limits.maxBytes, null],
    [limits.maxBytes + 1, 'too-large'],
    [0, 'empty'],
  ])('declared %s → %s', (n, reason) => {
    if (reason === null) expect(() => checkDeclaredBytes(n, limits)).not.toThrow();
    else expect(refusal(() => checkDeclaredBytes(n, limits)).reason).toBe(reason);
  });

  it('a declared length that is not a byte count is a TypeError', () => {
    expect(() => checkDeclaredBytes(-1, limits)).toThrow(TypeError);
    expect(() => checkDeclaredBytes(Number.NaN, limits)).toThrow(/declaredBytes/);
  });

  it('says the sizes in MB', () => {
    expect(refusal(() => checkDeclaredBytes(300 * 1024 * 1024, limits)).message).toMatch(/300 MB.*200 MB/);
  });

  it.each<[MediaError, string, string]>([
    [new MediaError('unplayable', 'ffprobe cannot read it', { reason: 'probe-failed' }), 'unplayable', 'unreadable'],
    [new MediaError('unplayable', 'ffprobe printed no JSON', { reason: 'probe-output' }), 'unplayable', 'unreadable'],
    [new MediaError('unplayable', 'no video stream', { reason: 'no-video-stream' }), 'unsupported', 'no-video-stream'],
    [new MediaError('unplayable', 'zero duration', { reason: 'zero-duration' }), 'unplayable', 'no-duration'],
    [new MediaError('failed', 'ffprobe cannot be run (ENOENT)'), 'io', 'probe'],
    [new MediaError('timeout', 'ffprobe timed out'), 'io', 'probe'],
    [new MediaError('aborted', 'probe aborted'), 'io', 'stopped'],
  ])('probe error %s → %s/%s', (m, code, reason) => {
    const e = fromProbeError(m);
    expect([e.code, e.reason]).toEqual([code, reason]);
  });

  it('every reason reads as a sentence', () => {
    for (const r of ['busy', 'corrupt', 'truncated', 'internal', 'body', 'empty', 'unreadable']) expect(describeReason(r)).toMatch(/^[A-Z].*\.$/);
    expect(describeReason('from-the-future')).toContain('from-the-future');
  });
});

describe('names, ids, preview instant, truncation', () => {
  it.each<[string, string]>([
    ['spring sale.mp4', 'spring sale.mp4'],
    ['C:\\Users\\shop\\面馆 广告.mp4', '面馆 广告.mp4'],
    ['../../etc/passwd', 'passwd'],
    ['a\u202Eevil\u0000\n.mp4', 'aevil.mp4'],
    ['   ', 'untitled'],
    ['dir/', 'untitled'],
    ['😀'.repeat(200), '😀'.repeat(120)],
  ])('name %j → %j', (raw, want) => {
    expect(sanitiseName(raw)).toBe(want);
  });

  it('ids are stable per merchant and bytes', () => {
    const sha = 'a'.repeat(64);
    expect(creativeId('m1', sha)).toMatch(/^cr_[0-9a-f]{20}$/);
    expect(creativeId('m1', sha)).toBe(creativeId('m1', sha));
    expect(creativeId('m2', sha)).not.toBe(creativeId('m1', sha));
    expect(creativeId('m1', 'b'.repeat(64))).not.toBe(creativeId('m1', sha));
  });

  it.each([
    [30_000, 1000],
    [2000, 1000],
    [1200, 600],
    [0, 0],
  ])('a %i ms clip is shot at %i ms', (d, at) => {
    expect(previewAtMs(d)).toBe(at);
  });

  it.each<[number, number | undefined, boolean]>([
    [3000, 3000, false],
    [3000, 2600, false],
    [3000, 1480, true],
    [30_000, 26_000, true],
    [3000, undefined, true],
  ])('expected %i ms, got %s → truncated %s', (want, got, yes) => {
    expect(isTruncated(want, got)).toBe(yes);
  });

  it('bad limits are a TypeError naming the option', () => {
    expect(() => validateLimits({ ...limits, maxBytes: 0 })).toThrow(/limits\.maxBytes/);
    expect(() => validateLimits({ ...limits, minDurationMs: 90_000 })).toThrow(/limits\.minDurationMs/);
    expect(() => validateLimits({ ...limits, videoCodecs: [] })).toThrow(/limits\.videoCodecs/);
  });
});
