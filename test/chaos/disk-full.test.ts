// The agent's disk fills up while doors are used (a real ENOSPC: its state dir is a small
// tmpfs, then a filler file takes the rest). Per agent/src/store/disk-full.test.ts: inserts
// fail with StoreError 'full', the source NAKs and the controller keeps the events; the agent
// stays up, says so in its metric and log, and once space returns it stores what was waiting.
// Nothing lost, nothing twice. Runs as root (CI does): mount needs CAP_SYS_ADMIN.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/service-process.js';
import { exact, type Gate, startGate, type World } from './world.js';

const NOT_STORED = 'door events not stored; the controller will retry';

/** Writes zeros until the file system says ENOSPC; returns the bytes written. */
function fill(path: string): number {
  const fd = openSync(path, 'w');
  let n = 0;
  try {
    for (const size of [1 << 18, 1 << 12, 1 << 9]) {
      const chunk = Buffer.alloc(size);
      for (let i = 0; i < 100_000; i++) {
        try {
          n += writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return n;
}

describe('disk full on the agent', () => {
  let g: Gate;
  let w: World;
  const mnt = join(mkdtempSync(join(tmpdir(), 'dc-chaos-disk-')), 'state');
  beforeAll(async () => {
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', mnt]);
    g = await startGate('gate-disk', { stateDir: mnt });
    w = g.world;
  }, 60_000);
  afterAll(async () => {
    await g?.destroy();
    execFileSync('umount', [mnt]);
    rmSync(join(mnt, '..'), { recursive: true, force: true });
  }, 30_000);

  it('door events NAKed while full, reported, then all stored when space returns: exactly once', async () => {
    await w.startAgent();
    w.startTraffic(80);
    await waitFor(() => w.emu.acked.size > 50, 15_000, 'traffic flowing');

    const filler = join(mnt, 'filler');
    const filled = fill(filler);
    expect(filled).toBeGreaterThan(1 << 20);
    await waitFor(async () => (await w.agent.metric('doorcast_store_write_failures_total', { reason: 'full' })) > 0, 20_000, 'store failures counted as full');
    // Full for a while, with doors in use: the agent carries on and the controller holds events.
    const naksAtFull = w.emu.stats().naks;
    await new Promise((r) => setTimeout(r, 4000));
    expect(w.agent.running).toBe(true);
    expect(w.emu.stats().naks).toBeGreaterThan(naksAtFull);
    expect(w.emu.stats().pending).toBeGreaterThan(10);
    expect(w.agent.messages.get(NOT_STORED) ?? 0).toBeGreaterThan(0);
    const failedFull = await w.agent.metric('doorcast_store_write_failures_total', { reason: 'full' });
    const unrecordedPlays = await w.agent.metric('doorcast_screen_failures_total', { reason: 'store' });

    rmSync(filler);
    const r = await w.settleAndReconcile();
    expect(r).toEqual(exact(r));
    expect(w.emu.stats().dropped).toBe(0);
    expect(w.agent.running).toBe(true);
    const integrity = execFileSync('sqlite3', [w.dbPath, 'PRAGMA integrity_check'], { encoding: 'utf8' }).trim();
    expect(integrity).toBe('ok');
    console.log(`disk full: ${filled} filler bytes; ${failedFull} door-event writes failed 'full' (NAKed, retried), ${unrecordedPlays} plays could not be recorded; ${w.agent.messages.get(NOT_STORED)} '${NOT_STORED}' lines; ${r.doorEvents.generated} door events, ${r.impressions.recorded} impressions`);
  }, 120_000);
});
