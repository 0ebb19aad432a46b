// The player with real ffmpeg on generated clips: first frame matches ffmpeg's own picture,
// pre-roll hit and miss, interruption, a corrupt file, missing ffmpeg, the framebuffer layout,
// and the impression written with its counters in one transaction.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { locate } from '../media/ffmpeg.js';
import type { ScreenProfile } from '../media/screen-profile.js';
import { silentLogger } from '../obs/log.js';
import { Registry } from '../obs/metrics.js';
import { PlaySchema } from '../store/records.js';
import { openStore, stamp } from '../store/testing.js';
import { FrameSplitter } from './frame-splitter.js';
import { FramebufferSink } from './framebuffer-sink.js';
import { toPlay } from './impression.js';
import { Player } from './player.js';
import { NullSink } from './sink.js';
import { SnapshotSink } from './snapshot-sink.js';

const ffmpeg = locate('ffmpeg');
const dir = mkdtempSync(join(tmpdir(), 'dc-player-'));
const clip = (name: string, src: string, seconds: number) => {
  const f = join(dir, name);
  execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `${src}=size=160x96:rate=10`, '-t', String(seconds), '-pix_fmt', 'yuv420p', '-y', f]);
  return f;
};
let short: string;
let long: string;
let other: string;
const corrupt = join(dir, 'corrupt.mp4');
beforeAll(() => {
  short = clip('short.mp4', 'testsrc', 1);
  long = clip('long.mp4', 'testsrc2', 4);
  other = clip('other.mp4', 'smptebars', 1);
  writeFileSync(corrupt, Buffer.concat([Buffer.from('\x00\x00\x00\x18ftypmp42'), Buffer.alloc(4000, 0x5a)]));
});

const profile: ScreenProfile = { width: 160, height: 96, fps: 10, pixelFormat: 'rgb24', maxDurationMs: 30_000 };
const players: Player[] = [];
const make = (sink = new NullSink() as ConstructorParameters<typeof Player>[0]['sink'], over: Partial<ConstructorParameters<typeof Player>[0]> = {}) => {
  const p = new Player({ ffmpeg, profile, sink, log: silentLogger, registry: new Registry(), ...over });
  players.push(p);
  return p;
};
afterEach(async () => {
  for (const p of players.splice(0)) await p.stop();
});
const req = (file: string, durationMs = 1000) => ({ impressionId: crypto.randomUUID(), file, durationMs, unlockAt: performance.now() });

describe('FrameSplitter', () => {
  it('cuts any chunking into whole frames', () => {
    const s = new FrameSplitter(5);
    const data = Buffer.from([...Array(23).keys()]);
    const frames = [data.subarray(0, 3), data.subarray(3, 4), data.subarray(4, 17), data.subarray(17, 23)].flatMap((c) => s.push(c));
    expect(frames.map((f) => [...f])).toEqual([0, 5, 10, 15].map((a) => [a, a + 1, a + 2, a + 3, a + 4]));
    expect(s.pending).toBe(3);
  });
});

describe('Player', () => {
  it('plays a pre-rolled clip to completion; the snapshot is ffmpeg’s own first frame', async () => {
    const sink = new SnapshotSink({ dir: join(dir, 'snap1') });
    const p = make(sink);
    p.preroll([short]);
    await p.primed();
    const r = await p.play(req(short));
    expect(r).toMatchObject({ outcome: 'completed', framesShown: 10, framesExpected: 10, prerolled: true });
    await sink.flushed();
    const ref = join(dir, 'ref.png');
    execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-i', short, '-frames:v', '1', '-y', ref]);
    const got = PNG.sync.read(readFileSync(sink.lastPng!));
    const want = PNG.sync.read(readFileSync(ref));
    expect([got.width, got.height]).toEqual([want.width, want.height]);
    let diff = 0;
    for (let i = 0; i < got.data.length; i++) diff = Math.max(diff, Math.abs(got.data[i]! - want.data[i]!));
    expect(diff).toBeLessThanOrEqual(8);
    const log = readFileSync(sink.logPath, 'utf8').trim().split('\n');
    expect(log).toHaveLength(10);
    expect(log[0]).toMatch(/^[0-9a-f-]{36} 0 [0-9a-f]{64}$/);
  });

  it('a miss spawns the decoder on the unlock and says so; paced at the clip’s rate', async () => {
    const p = make();
    p.preroll([short]);
    await p.primed();
    const t = performance.now();
    const r = await p.play(req(other));
    expect(r).toMatchObject({ outcome: 'completed', prerolled: false, framesShown: 10 });
    // 10 frames at 10 fps: the last is due 0.9 s after the first.
    expect(performance.now() - t).toBeGreaterThanOrEqual(850);
    expect(p.prerolled(short)).toBe(true);
  });

  it('a new unlock interrupts the current play, which records the frames it showed', async () => {
    const p = make();
    const first = p.play(req(long, 4000));
    await new Promise((r) => setTimeout(r, 600));
    const second = p.play(req(short));
    const a = await first;
    expect(a.outcome).toBe('interrupted');
    expect(a.framesShown).toBeGreaterThan(0);
    expect(a.framesShown).toBeLessThan(40);
    expect((await second).outcome).toBe('completed');
  });

  it('a corrupt file fails with the reason and the next creative plays', async () => {
    const p = make();
    const bad = await p.play(req(corrupt));
    expect(bad).toMatchObject({ outcome: 'failed', reason: 'decode-failed', framesShown: 0 });
    expect((await p.play(req(short))).outcome).toBe('completed');
  });

  it('audio is off by default, starts with the first frame when on, and stays off when muted', async () => {
    const quiet = make();
    await quiet.play({ ...req(short), audio: 'on' });
    expect(quiet.audioStarts).toBe(0);
    const p = make(new NullSink(), { audio: { device: 'null' } });
    expect((await p.play({ ...req(short), audio: 'muted' })).outcome).toBe('completed');
    expect(p.audioStarts).toBe(0);
    expect((await p.play({ ...req(short), audio: 'on' })).outcome).toBe('completed');
    expect(p.audioStarts).toBe(1);
  });

  it('missing ffmpeg is a failed play with its reason, not a crash', async () => {
    const p = make(new NullSink(), { ffmpeg: '/nonexistent/ffmpeg' });
    expect(await p.play(req(short))).toMatchObject({ outcome: 'failed', reason: 'ffmpeg-missing' });
  });

  it('writes the framebuffer in its own layout (32 bpp, centred, stride)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dc-fb-'));
    mkdirSync(join(root, 'class/graphics/fb0'), { recursive: true });
    writeFileSync(join(root, 'class/graphics/fb0/virtual_size'), '200,100\n');
    writeFileSync(join(root, 'class/graphics/fb0/bits_per_pixel'), '32\n');
    writeFileSync(join(root, 'class/graphics/fb0/stride'), '800\n');
    const dev = join(root, 'fb0');
    writeFileSync(dev, Buffer.alloc(800 * 100));
    const sink = new FramebufferSink(dev, root);
    const p = make(sink, { profile: { ...profile, pixelFormat: 'bgra' } });
    expect((await p.play(req(other))).outcome).toBe('completed');
    await sink.close();
    const fb = readFileSync(dev);
    // Centred: 20 px left margin, 2 rows top margin; margins untouched (zero).
    expect(fb.readUInt32LE(0)).toBe(0);
    expect(fb.readUInt32LE(2 * 800 + 19 * 4)).toBe(0);
    expect(fb[2 * 800 + 20 * 4 + 3]).toBe(0xff);
    // smptebars: the top-left bar is light grey, so B≈G≈R and bright.
    const [b, g, r] = [fb[2 * 800 + 20 * 4]!, fb[2 * 800 + 20 * 4 + 1]!, fb[2 * 800 + 20 * 4 + 2]!];
    expect(Math.min(b, g, r)).toBeGreaterThan(150);
    expect(Math.max(b, g, r) - Math.min(b, g, r)).toBeLessThan(30);
  });

  it('the impression and its counters go to the store in one transaction', async () => {
    const p = make();
    const r = await p.play(req(short));
    const { play, counters } = toPlay({ impressionId: crypto.randomUUID(), campaignId: 'noodles', creativeId: 'noodles-a', door: 1, pseudonym: 'k1.AAAAAAAAAAAAAAAAAAAAAA', segments: ['evening-returner'], decisionLatencyMs: 0.12, day: '2026-11-23' }, r);
    expect(PlaySchema.safeParse(play).success).toBe(true);
    const store = openStore();
    store.recordPlay(play, stamp(), counters);
    expect(store.outbox.depth()).toBe(1);
    expect(store.counters.read('k1.AAAAAAAAAAAAAAAAAAAAAA', '2026-11-01').byCampaign.get('noodles')?.get('2026-11-23')).toEqual({ plays: 1, completions: 1 });
    // Anonymous: no counters.
    expect(toPlay({ impressionId: crypto.randomUUID(), campaignId: 'n', creativeId: 'c', door: 1, pseudonym: null, segments: [], decisionLatencyMs: 0, day: '2026-11-23' }, r).counters).toEqual([]);
  });
});
