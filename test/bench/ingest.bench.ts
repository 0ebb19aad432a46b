// Issue 3: acked door events/s from the emulator into a real agent process (TCP source,
// SQLite with synchronous=FULL), and the agent's RSS idle and while ingesting.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControllerEmulator, onTcp } from '@doorcast/firmware-protocol/emulator';
import { initKeyFile } from '../../agent/src/identity/keys.js';
import { waitFor } from '../support/pty.js';
import { type BenchResult, median, round } from './result.js';

/** The flags the systemd unit runs the agent with (deploy/systemd/doorcast-agent.service). */
export const NODE_FLAGS = (process.env.DOORCAST_BENCH_NODE_FLAGS ?? '--max-semi-space-size=2 --max-old-space-size=96').split(' ').filter(Boolean);
const BIN = fileURLToPath(new URL('../../agent/bin/doorcast.js', import.meta.url));
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function once(n: number, window: number): Promise<{ rate: number; idle: number; peak: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-bench-ingest-'));
  const emu = new ControllerEmulator({ controllerId: 'DC-BENCH', doors: 2, ringCapacity: 65535, window, retransmitMs: 2000, retransmitMaxMs: 8000 });
  const t = await onTcp(emu);
  initKeyFile(join(dir, 'keys.json'));
  writeFileSync(
    join(dir, 'agent.yaml'),
    `version: 1\ndevice: { id: bench, site: bench }\nstateDir: ${dir}/state\nkeyFile: ${dir}/keys.json\nsite: { timezone: UTC }\nsources: [{ kind: tcp, name: main, host: 127.0.0.1, port: ${t.port} }]\ndoors: [{ id: east, source: main, controllerDoor: 1 }]\nmetrics: { enabled: false }\nclock: { sync: assume-synced }\nlog: { level: warn }\n`,
  );
  const agent: ChildProcess = spawn(process.execPath, [...NODE_FLAGS, BIN, 'run', '-c', join(dir, 'agent.yaml')], { stdio: 'ignore' });
  try {
    await waitFor(() => emu.attached, 'agent connected', 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    const idle = rssMb(agent.pid!);
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(agent.pid!))), 50);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) emu.unlock({ door: 1, method: 'card', granted: true, credential: Buffer.from([4, i >> 16, (i >> 8) & 0xff, i & 0xff]) });
    await waitFor(() => emu.acked.size === n, `${n} acked`, 120_000, 5);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    clearInterval(sampler);
    return { rate: n / seconds, idle, peak };
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    await t.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  const runs = [];
  for (let r = 0; r < 3; r++) runs.push(await once(20_000, 32));
  const burst = await once(20_000, 256);
  return [
    { name: 'acked events/s, emulator → agent (window 32, PROTOCOL §5)', value: round(median(runs.map((x) => x.rate)), 0), unit: 'events/s', note: 'median of 3 × 20,000; aim ≥ 2,000' },
    { name: 'acked events/s with window 256', value: round(burst.rate, 0), unit: 'events/s' },
    { name: 'agent RSS idle', value: round(median(runs.map((x) => x.idle)), 1), unit: 'MB', note: 'aim ≤ 100' },
    { name: 'agent RSS peak while ingesting', value: round(Math.max(...runs.map((x) => x.peak)), 1), unit: 'MB', note: 'aim ≤ 100' },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) for (const r of await run()) console.log(r);
