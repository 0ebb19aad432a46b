import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Clock } from './clock.js';

function fakeProc(uptimeS: number) {
  const root = mkdtempSync(join(tmpdir(), 'dc-proc-'));
  mkdirSync(join(root, 'sys/kernel/random'), { recursive: true });
  writeFileSync(join(root, 'sys/kernel/random/boot_id'), 'b0b0b0b0-0000-4000-8000-000000000001\n');
  writeFileSync(join(root, 'uptime'), `${uptimeS} 100.00\n`);
  return root;
}

describe('Clock', () => {
  it('stamps with the boot id and a monotonic offset since boot', () => {
    const c = new Clock({ sync: 'never', procRoot: fakeProc(120.5), now: () => 5000 });
    const s = c.stamp();
    expect(s.bootId).toBe('b0b0b0b0-0000-4000-8000-000000000001');
    expect(s.monoMs).toBeGreaterThanOrEqual(120_500);
    expect(s.monoMs).toBeLessThan(130_000);
    expect(s).toMatchObject({ wallMs: 5000, clockSynced: false });
    expect(c.syncedNow()).toBeNull();
  });

  it('follows the timesyncd flag file and reports the transition once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-sync-'));
    const flag = join(dir, 'synchronized');
    const c = new Clock({ sync: 'timesyncd', flagFile: flag, procRoot: fakeProc(1), now: () => 1_767_250_800_000 });
    expect(c.synced).toBe(false);
    writeFileSync(flag, '');
    expect(c.refresh()).toBe(true);
    expect(c.refresh()).toBe(false);
    expect(c.synced).toBe(true);
    expect(c.syncedNow()).toBe(1_767_250_800_000);
    expect(c.offsetMs()).toBeCloseTo(1_767_250_800_000 - c.monoMs(), -2);
  });

  it('without /proc still works, with a random boot id', () => {
    const c = new Clock({ sync: 'assume-synced', procRoot: '/nonexistent' });
    expect(c.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.synced).toBe(true);
  });
});
