// `npm start` on the embedded default: it runs, shows door events live, stops cleanly, and
// leaves a store with those events in it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npm start (the demo)', () => {
  it('streams simulated unlocks through the agent into its store, links to the broker, stops cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-demo-'));
    const script = new URL('./start.ts', import.meta.url).pathname;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script, '--for', '10', '--speed', '900', '--dir', dir], { timeout: 100_000 });
    expect(stdout).toMatch(/metrics: http:\/\/127\.0\.0\.1:\d+\/metrics/);
    expect(stdout).toMatch(/window #1 open/);
    expect(stdout).toMatch(/-- link up · manifest v\d+ .* fleet: online/);
    // Unlocks became plays of the demo campaigns, synced to the cloud, with visual proof.
    expect(stdout).toMatch(/plays in the cloud: .*(noodle-bar|corner-bakery|welcome-home) \d+/);
    expect(readdirSync(join(dir, 'snapshots')).some((f) => f.endsWith('.png'))).toBe(true);
    // The marketplace: a console to sign in to, and the booked campaign's plays in its report.
    expect(stdout).toMatch(/console: http:\/\/127\.0\.0\.1:\d+\/console\/ {2}merchant \S+ \/ \S+ \(campaign c_[0-9a-f]{20}\)/);
    const report = /merchant report c_[0-9a-f]{20}: plays (\d+|<5 residents)/.exec(stdout);
    expect(report).not.toBeNull();
    const stored = Number(/stopped: (\d+) door events in the store/.exec(stdout)?.[1]);
    expect(stored).toBeGreaterThan(0);
    const db = new Database(join(dir, 'state', 'agent.db'), { readonly: true });
    try {
      expect((db.prepare('SELECT count(*) AS n FROM door_events').get() as { n: number }).n).toBe(stored);
    } finally {
      db.close();
    }
  }, 120_000);
});
