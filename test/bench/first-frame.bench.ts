// Issue 4: unlock → first frame on the sink, pre-rolled against spawn-on-unlock in the same run,
// at the gate screen profile (800×480 rgb565le, 25 fps). Two measurements:
// - player: from play() to the sink's first write (the player alone, real ffmpeg);
// - pty: from the last byte of the unlock frame written to the pty by the controller emulator
//   (the serial write's completion), through the real agent (serial source, SQLite commit,
//   dwell, select(), player) to the sink's first write.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllerEmulator, onSerial } from '@doorcast/firmware-protocol/emulator';
import { parseConfig } from '../../agent/src/config/load.js';
import { initKeyFile } from '../../agent/src/identity/keys.js';
import { locate } from '../../agent/src/media/ffmpeg.js';
import { DEFAULT_SCREEN } from '../../agent/src/media/screen-profile.js';
import { silentLogger } from '../../agent/src/obs/log.js';
import { Registry } from '../../agent/src/obs/metrics.js';
import { Player } from '../../agent/src/player/player.js';
import type { FrameSink } from '../../agent/src/player/sink.js';
import { Agent } from '../../agent/src/runtime/agent.js';
import { openAgentStore } from '../../agent/src/runtime/store.js';
import { openPtyPair, waitFor } from '../support/pty.js';
import { type BenchResult, percentile, round } from './result.js';

const UNLOCKS = Number(process.env.DOORCAST_BENCH_UNLOCKS ?? 200);
const WARMUP = 5;

class TimingSink implements FrameSink {
  readonly kind = 'null';
  firstFrames: number[] = [];
  begin(): void {}
  write(_f: Buffer, index: number): void {
    if (index === 0) this.firstFrames.push(performance.now());
  }
  end(): void {}
  async close(): Promise<void> {}
}

/** The player alone: play() → first frame, each play interrupted once its first frame is out. */
async function measurePlayer(clip: string, prerolled: boolean): Promise<number[]> {
  const sink = new TimingSink();
  const player = new Player({ ffmpeg: locate('ffmpeg'), profile: DEFAULT_SCREEN, sink, log: silentLogger, registry: new Registry(), prerollSlots: prerolled ? 1 : 0 });
  const out: number[] = [];
  try {
    for (let i = 0; i < UNLOCKS + WARMUP; i++) {
      player.preroll([clip]);
      await player.primed();
      // Let the machine settle after the decoder's start-up burst (as between two residents).
      await new Promise((r) => setTimeout(r, 20));
      const before = sink.firstFrames.length;
      const t = performance.now();
      const playing = player.play({ impressionId: crypto.randomUUID(), file: clip, durationMs: 3000, unlockAt: t });
      await waitFor(() => sink.firstFrames.length > before, `first frame of play ${i}`, 10_000, 1);
      if (i >= WARMUP) out.push(sink.firstFrames[before]! - t);
      await player.interrupt();
      const r = await playing;
      if (r.prerolled !== prerolled || r.framesShown === 0) throw new Error(`play ${i}: ${JSON.stringify(r)}`);
    }
  } finally {
    await player.stop();
  }
  return out;
}

/** Wraps the emulator's serial port so the completion time of the next write is known. */
function writeClock(port: { write: (chunk: Buffer, cb?: (err?: Error | null) => void) => boolean }) {
  const write = port.write.bind(port);
  const state = { armed: false, writtenAt: 0 };
  port.write = (chunk, cb) => {
    const mine = state.armed;
    state.armed = false;
    return write(chunk, (err) => {
      if (mine) state.writtenAt = performance.now();
      cb?.(err);
    });
  };
  return state;
}

async function gauge(registry: Registry, name: string): Promise<number> {
  return (await registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;
}

async function measurePty(dir: string, creatives: string, campaigns: string, prerollSlots: number): Promise<{ frame: number[]; window: number[]; hits: number }> {
  const pty = await openPtyPair();
  const emu = new ControllerEmulator({ controllerId: `DC-FF-${prerollSlots}`, doors: 1 });
  const link = await onSerial(emu, pty.a);
  const written = writeClock(link.port as unknown as Parameters<typeof writeClock>[0]);
  const state = join(dir, `state-${prerollSlots}`);
  const config = parseConfig({
    version: 1,
    device: { id: 'bench', site: 'bench' },
    stateDir: state,
    keyFile: join(dir, 'keys.json'),
    site: { timezone: 'UTC' },
    sources: [{ kind: 'serial', name: 'main', path: pty.b }],
    doors: [{ id: 'east', source: 'main', controllerDoor: 1 }],
    metrics: { enabled: false },
    clock: { sync: 'assume-synced' },
    screen: { sink: 'null', profile: DEFAULT_SCREEN, creativesDir: creatives, campaignsFile: campaigns, prerollSlots },
  });
  const sink = new TimingSink();
  const opened: number[] = [];
  const agent = new Agent(config, { log: silentLogger, openStore: openAgentStore, sink, onWindow: { opened: () => opened.push(performance.now()), closed: () => {} } });
  await agent.start();
  const latencies: number[] = [];
  const windows: number[] = [];
  try {
    await waitFor(() => emu.attached, 'agent on the pty', 20_000);
    for (let i = 0; i < UNLOCKS + WARMUP; i++) {
      // Residents come seconds apart: the next decoder has pre-rolled by then. Here: 350 ms, and
      // in the pre-rolled run until it holds its first frame (bounded; a late one counts as warming).
      await new Promise((r) => setTimeout(r, 350));
      const deadline = performance.now() + 5000;
      while (prerollSlots > 0 && (await gauge(agent.registry, 'doorcast_preroll_ready')) < 1 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      const before = sink.firstFrames.length;
      written.writtenAt = 0;
      written.armed = true;
      emu.unlock({ door: 1, method: 'card', granted: true, credential: Buffer.from([1, i >> 8, i & 0xff]) });
      await waitFor(() => sink.firstFrames.length > before && written.writtenAt > 0, `first frame of unlock ${i}`, 10_000, 1);
      if (i >= WARMUP) {
        latencies.push(sink.firstFrames[before]! - written.writtenAt);
        windows.push(opened[opened.length - 1]! - written.writtenAt);
      }
    }
  } finally {
    await agent.stop();
    await link.close();
    await pty.close();
  }
  const takes = (await agent.registry.getSingleMetric('doorcast_preroll_takes_total')?.get())?.values ?? [];
  const hits = takes.find((v) => v.labels.state === 'ready')?.value ?? 0;
  return { frame: latencies, window: windows, hits };
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-bench-ff-'));
  try {
    initKeyFile(join(dir, 'keys.json'));
    const creatives = join(dir, 'creatives');
    mkdirSync(creatives);
    const raw = join(dir, 'clip.mp4');
    execFileSync(locate('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=800x480:rate=25', '-t', '3', '-pix_fmt', 'yuv420p', '-y', raw]);
    const sha = createHash('sha256').update(readFileSync(raw)).digest('hex');
    const clip = join(creatives, `${sha}.mp4`);
    writeFileSync(clip, readFileSync(raw));
    const campaigns = join(dir, 'campaigns.json');
    writeFileSync(campaigns, JSON.stringify({ campaigns: [{ id: 'c', tier: 'paid', dates: { from: '2020-01-01', to: '2099-12-31' }, creatives: [{ id: 'c-a', sha256: sha, durationMs: 3000, firstSecondsMs: 500 }] }] }));

    const playerPre = await measurePlayer(clip, true);
    const playerSpawn = await measurePlayer(clip, false);
    const ptyPre = await measurePty(dir, creatives, campaigns, 2);
    const ptySpawn = await measurePty(dir, creatives, campaigns, 0);

    // The screen's share (select(), play()) of each pre-rolled unlock, the door path's being the window.
    const screenPart = ptyPre.frame.map((f, i) => f - ptyPre.window[i]!);
    const p = (xs: number[], q: number) => round(percentile(xs, q), 1);
    const ratio = (a: number[], b: number[], q: number) => round(percentile(a, q) / percentile(b, q), 1);
    return [
      { name: `play() → first frame, pre-rolled, p50 (${playerPre.length} plays)`, value: p(playerPre, 50), unit: 'ms' },
      { name: 'play() → first frame, pre-rolled, p99', value: p(playerPre, 99), unit: 'ms' },
      { name: `play() → first frame, spawn on play, p50 (${playerSpawn.length} plays)`, value: p(playerSpawn, 50), unit: 'ms' },
      { name: 'play() → first frame, spawn on play, p99', value: p(playerSpawn, 99), unit: 'ms' },
      { name: 'play(): spawn / pre-rolled, p50 ratio', value: ratio(playerSpawn, playerPre, 50), unit: '×' },
      { name: `unlock on pty → first frame, pre-rolled, p50 (${ptyPre.frame.length} unlocks)`, value: p(ptyPre.frame, 50), unit: 'ms' },
      { name: 'unlock on pty → first frame, pre-rolled, p99', value: p(ptyPre.frame, 99), unit: 'ms', note: 'aim ≤ 30 ms' },
      { name: 'unlock on pty: plays whose pre-roll held its first frame', value: ptyPre.hits, unit: `of ${UNLOCKS + WARMUP}` },
      { name: `unlock on pty → first frame, spawn on unlock, p50 (${ptySpawn.frame.length})`, value: p(ptySpawn.frame, 50), unit: 'ms' },
      { name: 'unlock on pty → first frame, spawn on unlock, p99', value: p(ptySpawn.frame, 99), unit: 'ms' },
      { name: 'of which unlock on pty → dwell window open, p50 (pre-rolled run)', value: p(ptyPre.window, 50), unit: 'ms' },
      { name: 'of which unlock on pty → dwell window open, p99 (pre-rolled run)', value: p(ptyPre.window, 99), unit: 'ms' },
      { name: 'of which dwell window open → first frame, p99 (pre-rolled run)', value: p(screenPart, 99), unit: 'ms' },
      { name: 'unlock on pty: spawn / pre-rolled, p50 ratio', value: ratio(ptySpawn.frame, ptyPre.frame, 50), unit: '×', note: 'aim ≥ 5×' },
      { name: 'unlock on pty: spawn / pre-rolled, p99 ratio', value: ratio(ptySpawn.frame, ptyPre.frame, 99), unit: '×' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
