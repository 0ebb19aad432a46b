// kill -9 the agent at random moments, 20 times, while a controller on a real pty keeps
// sending: afterwards every event the controller generated is in the store exactly once.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControllerEmulator, onSerial, prng } from '@doorcast/firmware-protocol/emulator';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { initKeyFile } from '../../agent/src/identity/keys.js';
import { openPtyPair, waitFor } from '../support/pty.js';

const BIN = fileURLToPath(new URL('../../agent/bin/doorcast.js', import.meta.url));

function startAgent(config: string): ChildProcess {
  return spawn(process.execPath, [BIN, 'run', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DOORCAST_LOG_LEVEL: 'warn' } });
}

describe('agent kill -9 loop', () => {
  it('loses nothing and stores nothing twice across 20 kills', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-kill-'));
    const pty = await openPtyPair();
    const emu = new ControllerEmulator({ controllerId: 'DC-KILL', doors: 2, ringCapacity: 8192, retransmitMs: 200, retransmitMaxMs: 1000 });
    const t = await onSerial(emu, pty.a);
    initKeyFile(join(dir, 'keys.json'));
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      `version: 1
device: { id: gate-kill, site: test-site }
stateDir: ${dir}/state
keyFile: ${dir}/keys.json
site: { timezone: Asia/Shanghai }
sources: [{ kind: serial, name: main, path: ${pty.b} }]
doors: [{ id: east, source: main, controllerDoor: 1 }, { id: west, source: main, controllerDoor: 2 }]
metrics: { enabled: false }
clock: { sync: assume-synced }
`,
    );
    const rand = prng(9);
    let i = 0;
    const traffic = setInterval(() => {
      for (let k = 0; k < 3; k++, i++) {
        if (i % 4 === 3) emu.doorState(1 + (i % 2), 'closed');
        else emu.unlock({ door: 1 + (i % 2), method: i % 3 ? 'card' : 'face', granted: true, credential: Buffer.from([4, (i >> 8) & 0xff, i & 0xff]) });
      }
    }, 10);
    try {
      for (let kill = 0; kill < 20; kill++) {
        const agent = startAgent(config);
        await new Promise((r) => setTimeout(r, 400 + rand() * 900));
        const exited = new Promise((r) => agent.once('exit', r));
        agent.kill('SIGKILL');
        await exited;
      }
      clearInterval(traffic);
      const last = startAgent(config);
      await waitFor(() => emu.acked.size === emu.ledger.size, `all ${emu.ledger.size} events acked`, 30_000, 50);
      const exited = new Promise<number | null>((r) => last.once('exit', (code) => r(code)));
      last.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      clearInterval(traffic);
      await t.close();
      await pty.close();
    }
    expect(emu.ledger.size).toBeGreaterThan(500);
    expect(emu.stats().dropped).toBe(0);
    const db = new Database(join(dir, 'state/agent.db'), { readonly: true });
    const rows = db.prepare("SELECT seq FROM door_events WHERE controller_id = 'DC-KILL' ORDER BY seq").all() as { seq: number }[];
    db.close();
    expect(rows.length).toBe(emu.ledger.size);
    expect(rows.map((r) => r.seq)).toEqual([...emu.ledger.keys()].sort((a, b) => a - b));
  }, 120_000);
});
