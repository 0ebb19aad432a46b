// Issue 4: unlock → first frame on the sink, from the last byte of the unlock frame written to
// the pty by the controller emulator, through the real agent (serial source, SQLite commit,
// dwell, select(), player) to the sink's first write; pre-rolled against spawn-on-unlock in
// the same run. 800×480 rgb565le at 25 fps, the gate screen profile.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllerEmulator, onSerial } from '@doorcast/firmware-protocol/emulator';
import { parseConfig } from '../../agent/src/config/load.js';
import { initKeyFile } from '../../agent/src/identity/keys.js';
import { locate } from '../../agent/src/media/ffmpeg.js';
import { DEFAULT_SCREEN } from '../../agent/src/media/screen-profile.js';
import { silentLogger } from '../../agent/src/obs/log.js';
import type { FrameSink } from '../../agent/src/player/sink.js';
import { Agent } from '../../agent/src/runtime/agent.js';
import { openAgentStore } from '../../agent/src/runtime/store.js';
import { openPtyPair, waitFor } from '../support/pty.js';
import { type BenchResult, percentile, round } from './result.js';

const UNLOCKS = Number(process.env.DOORCAST_BENCH_UNLOCKS ?? 200);

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

async function measure(dir: string, creatives: string, campaigns: string, prerollSlots: number): Promise<{ frame: number[]; window: number[] }> {
  const pty = await openPtyPair();
  const emu = new ControllerEmulator({ controllerId: `DC-FF-${prerollSlots}`, doors: 1 });
  const link = await onSerial(emu, pty.a);
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
    for (let i = 0; i < UNLOCKS + 5; i++) {
      // Time for the previous play to be interrupted and the next decoder to pre-roll.
      await new Promise((r) => setTimeout(r, 350));
      const before = sink.firstFrames.length;
      emu.unlock({ door: 1, method: 'card', granted: true, credential: Buffer.from([1, i >> 8, i & 0xff]) });
      const sent = performance.now();
      await waitFor(() => sink.firstFrames.length > before, `first frame of unlock ${i}`, 10_000, 1);
      if (i >= 5) {
        latencies.push(sink.firstFrames[before]! - sent);
        windows.push(opened[opened.length - 1]! - sent);
      }
    }
  } finally {
    await agent.stop();
    await link.close();
    await pty.close();
  }
  return { frame: latencies, window: windows };
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-bench-ff-'));
  initKeyFile(join(dir, 'keys.json'));
  const creatives = join(dir, 'creatives');
  mkdirSync(creatives);
  const raw = join(dir, 'clip.mp4');
  execFileSync(locate('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=800x480:rate=25', '-t', '3', '-pix_fmt', 'yuv420p', '-y', raw]);
  const sha = createHash('sha256').update(readFileSync(raw)).digest('hex');
  writeFileSync(join(creatives, `${sha}.mp4`), readFileSync(raw));
  const campaigns = join(dir, 'campaigns.json');
  writeFileSync(campaigns, JSON.stringify({ campaigns: [{ id: 'c', tier: 'paid', dates: { from: '2020-01-01', to: '2099-12-31' }, creatives: [{ id: 'c-a', sha256: sha, durationMs: 3000, firstSecondsMs: 500 }] }] }));
  const preRun = await measure(dir, creatives, campaigns, 2);
  const spawnRun = await measure(dir, creatives, campaigns, 0);
  const pre = preRun.frame;
  const spawn = spawnRun.frame;
  const p = (xs: number[], q: number) => round(percentile(xs, q), 1);
  return [
    { name: `unlock → first frame, pre-rolled, p50 (${pre.length} unlocks)`, value: p(pre, 50), unit: 'ms' },
    { name: 'unlock → first frame, pre-rolled, p99', value: p(pre, 99), unit: 'ms', note: 'aim ≤ 30 ms' },
    { name: `unlock → first frame, spawn on unlock, p50 (${spawn.length} unlocks)`, value: p(spawn, 50), unit: 'ms' },
    { name: 'unlock → first frame, spawn on unlock, p99', value: p(spawn, 99), unit: 'ms' },
    { name: 'of which unlock → dwell window open (store commit, ack), p50', value: p(preRun.window, 50), unit: 'ms' },
    { name: 'spawn / pre-rolled, p50 ratio', value: round(percentile(spawn, 50) / percentile(pre, 50), 1), unit: '×', note: 'aim ≥ 5×' },
  ];
}
