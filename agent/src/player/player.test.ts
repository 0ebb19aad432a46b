// The player with real ffmpeg on generated clips (lavfi): the first frame is ffmpeg's own
// picture, pre-roll hit and miss, interruption, a corrupt file with its fallbacks, missing
// ffmpeg, an unreadable file, a hung decoder, a sink that goes away, audio, stop.
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../obs/metrics.js';
import { NullSink } from './sink.js';
import { SnapshotSink } from './snapshot-sink.js';
import { firstFramePng, makeClip, makePlayer, maxDiff, RecordingSink, request, SMALL, tempDir } from './testing.js';

const dir = tempDir('dc-player-', false);
let short: string;
let long: string;
let other: string;
let still: string;
const corrupt = join(dir, 'corrupt.mp4');
beforeAll(() => {
  short = makeClip(dir, 'short.mp4', 'testsrc', 1);
  long = makeClip(dir, 'long.mp4', 'testsrc2', 4);
  other = makeClip(dir, 'other.mp4', 'smptebars', 1);
  still = join(dir, 'still.png');
  firstFramePng(makeClip(dir, 'blue.mp4', 'color=c=blue', 0.2), still);
  // An mp4 header and then garbage: ffmpeg opens it and fails.
  writeFileSync(corrupt, Buffer.concat([Buffer.from('\x00\x00\x00\x18ftypmp42'), Buffer.alloc(4000, 0x5a)]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rgba = (file: string) => PNG.sync.read(readFileSync(file));
/** [first label value, value] of each series of a metric. */
const metricValues = async (r: Registry, name: string) => ((await r.getSingleMetric(name)?.get())?.values ?? []).map((v) => [Object.values(v.labels)[0], v.value]);

describe('Player: pre-roll', () => {
  it('a pre-rolled clip plays to completion; its first frame is ffmpeg’s own picture', async () => {
    const sink = new SnapshotSink({ dir: tempDir() });
    const registry = new Registry();
    const p = makePlayer(sink, { registry });
    p.preroll([short]);
    await p.primed();
    expect(await metricValues(registry, 'doorcast_preroll_ready')).toEqual([[undefined, 1]]);
    const r = await p.play(request(short));
    expect(await metricValues(registry, 'doorcast_preroll_takes_total')).toEqual([['ready', 1]]);
    expect(r).toMatchObject({ outcome: 'completed', framesShown: 10, framesExpected: 10, prerolled: true });
    await sink.flushed();
    const got = rgba(sink.lastPng!);
    const want = rgba(firstFramePng(short, join(tempDir(), 'ref.png')));
    expect([got.width, got.height]).toEqual([want.width, want.height]);
    // Colour conversions (yuv420p → rgb24 vs ffmpeg's PNG path) differ by a few levels at most.
    expect(maxDiff(got.data, want.data)).toBeLessThanOrEqual(8);
    // ...and it is not any picture: the other clip's first frame is far from it.
    expect(maxDiff(got.data, rgba(firstFramePng(other, join(tempDir(), 'other.png'))).data)).toBeGreaterThan(100);
    const log = readFileSync(sink.logPath, 'utf8').trim().split('\n');
    expect(log).toHaveLength(10);
    expect(log[0]).toMatch(/^[0-9a-f-]{36} 0 [0-9a-f]{64} first-0000\.png$/);
  });

  it('a miss spawns a decoder on the unlock, says so, and still paces at the clip’s rate', async () => {
    const sink = new RecordingSink();
    const registry = new Registry();
    const p = makePlayer(sink, { registry });
    p.preroll([short]);
    await p.primed();
    const t = performance.now();
    const r = await p.play(request(other));
    expect(await metricValues(registry, 'doorcast_preroll_takes_total')).toEqual([['miss', 1]]);
    expect(r).toMatchObject({ outcome: 'completed', prerolled: false, framesShown: 10 });
    expect(r.firstFrameLatencyMs).toBeGreaterThan(0);
    // 10 frames at 10 fps: the last is due 0.9 s after the first (never faster than the clip).
    expect(performance.now() - t).toBeGreaterThanOrEqual(850);
    // The pre-rolled one is still waiting, and the frames are the other clip's.
    expect(p.prerolled(short)).toBe(true);
    expect(new Set(sink.plays[0]!.frames.map((f) => f.toString('base64'))).size).toBe(1);
  });

  it('keeps at most prerollSlots decoders; a pre-rolled creative that cannot decode fails and frees its slot', async () => {
    const p = makePlayer(new NullSink(), { prerollSlots: 2 });
    p.preroll([short, other, long]);
    expect([p.prerolled(short), p.prerolled(other), p.prerolled(long)]).toEqual([true, true, false]);
    p.preroll([corrupt]);
    await p.primed();
    expect([p.prerolled(short), p.prerolled(corrupt)]).toEqual([false, true]);
    // Taken while failed: a failed play, and the slot is free again for the caller to refill.
    expect(await p.play(request(corrupt))).toMatchObject({ outcome: 'failed', reason: 'decode-failed', prerolled: true });
    expect(p.prerolled(corrupt)).toBe(false);
  });
});

describe('Player: interruption', () => {
  it('a new unlock ends the current play, recorded as interrupted with the frames it showed', async () => {
    const sink = new RecordingSink();
    const p = makePlayer(sink);
    const first = p.play(request(long, 4000));
    await expect.poll(() => sink.plays[0]?.frames.length ?? 0, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const second = p.play(request(short));
    const a = await first;
    expect(a.outcome).toBe('interrupted');
    expect(a.framesShown).toBe(sink.plays[0]!.frames.length);
    expect(a.framesShown).toBeLessThan(40);
    expect(await second).toMatchObject({ outcome: 'completed', framesShown: 10 });
    expect(sink.overlaps).toBe(0);
  });

  it('unlocks in a burst: every superseded play ends, only the last plays, the sink is never shared', async () => {
    const sink = new RecordingSink();
    const p = makePlayer(sink);
    const plays = [p.play(request(long, 4000)), p.play(request(other)), p.play(request(short))];
    const [a, b, c] = await Promise.all(plays);
    expect(a!.outcome).toBe('interrupted');
    expect(b).toMatchObject({ outcome: 'interrupted', framesShown: 0, firstFrameLatencyMs: null });
    expect(c).toMatchObject({ outcome: 'completed', framesShown: 10 });
    expect(sink.overlaps).toBe(0);
    expect(p.playing).toBe(false);
  });

  it('stop() interrupts the play under way; a play after stop() fails as stopped and starts nothing', async () => {
    const sink = new RecordingSink();
    const p = makePlayer(sink);
    const playing = p.play(request(long, 4000));
    await expect.poll(() => sink.plays[0]?.frames.length ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
    await p.stop();
    expect((await playing).outcome).toBe('interrupted');
    expect(await p.play(request(short))).toMatchObject({ outcome: 'failed', reason: 'stopped', framesShown: 0 });
    expect(sink.plays).toHaveLength(1);
  });
});

describe('Player: failures never escape', () => {
  it('a corrupt file fails with its reason; the next creative, then a still image, play after it', async () => {
    const registry = new Registry();
    const sink = new SnapshotSink({ dir: tempDir() });
    const p = makePlayer(sink, { registry });
    expect(await p.play(request(corrupt))).toMatchObject({ outcome: 'failed', reason: 'decode-failed', framesShown: 0, firstFrameLatencyMs: null });
    expect(await p.play(request(short))).toMatchObject({ outcome: 'completed', framesShown: 10 });
    // The still: one image held for its duration at the screen's rate.
    expect(await p.play(request(still, 500, { still: true }))).toMatchObject({ outcome: 'completed', framesShown: 5, framesExpected: 5 });
    await sink.flushed();
    const blue = rgba(sink.lastPng!).data;
    expect([blue[0]! < 10, blue[1]! < 10, blue[2]! > 240]).toEqual([true, true, true]);
    expect(await metricValues(registry, 'doorcast_play_failures_total')).toEqual([['decode-failed', 1]]);
  });

  it('missing ffmpeg is a failed play with its reason, pre-rolled or not, and no crash', async () => {
    const p = makePlayer(new NullSink(), { ffmpeg: join(dir, 'no-such-ffmpeg') });
    p.preroll([short]);
    await p.primed();
    expect(await p.play(request(short))).toMatchObject({ outcome: 'failed', reason: 'ffmpeg-missing', prerolled: true });
    expect(await p.play(request(other))).toMatchObject({ outcome: 'failed', reason: 'ffmpeg-missing', prerolled: false });
  });

  it('an unreadable creative fails as unreadable before anything is spawned', async () => {
    const sink = new RecordingSink();
    const p = makePlayer(sink);
    const r = await p.play(request(join(dir, 'gone.mp4')));
    expect(r).toMatchObject({ outcome: 'failed', reason: 'unreadable' });
    expect(r.outcome === 'failed' && r.detail).toMatch(/ENOENT/);
    expect(sink.plays).toHaveLength(0);
  });

  it('a decoder that hangs fails the play as stalled instead of holding the screen', async () => {
    const hung = join(tempDir(), 'ffmpeg');
    writeFileSync(hung, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(hung, 0o755);
    const p = makePlayer(new NullSink(), { ffmpeg: hung, firstFrameTimeoutMs: 300 });
    expect(await p.play(request(short))).toMatchObject({ outcome: 'failed', reason: 'stalled', framesShown: 0 });
  });

  it('a sink that goes away mid-play fails the play with the frames shown; the player keeps serving', async () => {
    const sink = new RecordingSink();
    sink.failAfter = 3;
    const p = makePlayer(sink);
    expect(await p.play(request(short))).toMatchObject({ outcome: 'failed', reason: 'sink', framesShown: 3 });
    expect(await p.play(request(other))).toMatchObject({ outcome: 'failed', reason: 'sink', framesShown: 0 });
    sink.failAfter = Number.POSITIVE_INFINITY;
    expect(await p.play(request(short))).toMatchObject({ outcome: 'completed', framesShown: 10 });
  });
});

describe('Player: audio', () => {
  it('is off by default, starts with the first frame when on, and stays off when muted', async () => {
    const quiet = makePlayer(new NullSink());
    await quiet.play(request(short, 1000, { audio: 'on' }));
    expect(quiet.audioStarts).toBe(0);
    const p = makePlayer(new NullSink(), { audio: { device: 'null' } });
    expect((await p.play(request(short, 1000, { audio: 'muted' }))).outcome).toBe('completed');
    expect(p.audioStarts).toBe(0);
    expect((await p.play(request(short, 1000, { audio: 'on' }))).outcome).toBe('completed');
    expect(p.audioStarts).toBe(1);
  });
});

describe('Player: the screen profile', () => {
  it('frames are the profile’s size and format whatever the clip’s own size (letterboxed)', async () => {
    const sink = new RecordingSink();
    const p = makePlayer(sink, { profile: { ...SMALL, width: 200, height: 96, pixelFormat: 'rgb565le' } });
    expect((await p.play(request(short))).outcome).toBe('completed');
    const f = sink.plays[0]!.frames[0]!;
    expect(f.length).toBe(200 * 96 * 2);
    // 160 px of picture centred in 200: the 20 px bars either side are black.
    expect(f.readUInt16LE((48 * 200 + 5) * 2)).toBe(0);
    expect(f.readUInt16LE((48 * 200 + 195) * 2)).toBe(0);
    expect(f.readUInt16LE((48 * 200 + 100) * 2)).not.toBe(0);
  });
});
