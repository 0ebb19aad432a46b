// The whole moment in-process: simulated unlocks → dwell windows → select() → the real player
// (ffmpeg, snapshot sink) → impressions with counters in the outbox, one per play.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/pty.js';
import { parseConfig } from '../config/load.js';
import { initKeyFile } from '../identity/keys.js';
import { locate } from '../media/ffmpeg.js';
import { silentLogger } from '../obs/log.js';
import { Agent } from './agent.js';
import { openAgentStore } from './store.js';

describe('screen in the agent', () => {
  it('plays a creative for simulated unlocks and records one impression per play', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-screen-'));
    initKeyFile(join(dir, 'keys.json'));
    const creatives = join(dir, 'creatives');
    mkdirSync(creatives);
    const raw = join(dir, 'raw.mp4');
    execFileSync(locate('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x96:rate=10', '-t', '1', '-pix_fmt', 'yuv420p', '-y', raw]);
    const sha = createHash('sha256').update(readFileSync(raw)).digest('hex');
    writeFileSync(join(creatives, `${sha}.mp4`), readFileSync(raw));
    writeFileSync(
      join(dir, 'campaigns.json'),
      JSON.stringify({ campaigns: [{ id: 'breakfast', tier: 'paid', dates: { from: '2020-01-01', to: '2099-12-31' }, creatives: [{ id: 'breakfast-a', sha256: sha, durationMs: 1000, firstSecondsMs: 500 }] }] }),
    );
    const config = parseConfig({
      version: 1,
      device: { id: 'gate-01', site: 'maple-court' },
      stateDir: join(dir, 'state'),
      keyFile: join(dir, 'keys.json'),
      site: { timezone: 'Asia/Shanghai' },
      sources: [{ kind: 'sim', name: 'demo', speed: 300, doors: 1 }],
      doors: [{ id: 'east-gate', source: 'demo', controllerDoor: 1 }],
      metrics: { enabled: false },
      clock: { sync: 'assume-synced' },
      dwell: { graceMs: 3000, maxMs: 30_000, typicalMs: 6000 },
      screen: { sink: 'snapshot', profile: { width: 160, height: 96, fps: 10, pixelFormat: 'rgb24', maxDurationMs: 30_000 }, creativesDir: creatives, campaignsFile: join(dir, 'campaigns.json') },
    });
    const agent = new Agent(config, { log: silentLogger, openStore: openAgentStore });
    await agent.start();
    const outbox = () => {
      const db = new Database(join(dir, 'state/agent.db'), { readonly: true });
      try {
        return db.prepare('SELECT body FROM impressions_outbox ORDER BY device_seq').all().map((r) => JSON.parse((r as { body: string }).body));
      } finally {
        db.close();
      }
    };
    try {
      await waitFor(() => outbox().length >= 3, 'three impressions', 30_000, 100);
    } finally {
      await agent.stop();
    }
    const plays = outbox();
    expect(plays.every((p) => p.campaignId === 'breakfast' && p.creativeId === 'breakfast-a' && p.door === 1)).toBe(true);
    // No consent list: every impression is anonymous.
    expect(plays.every((p) => p.pseudonym === null)).toBe(true);
    expect(plays.some((p) => p.outcome === 'completed' || p.outcome === 'interrupted')).toBe(true);
    expect(plays.filter((p) => p.framesShown > 0).every((p) => p.firstFrameLatencyMs !== null && p.framesExpected === 10)).toBe(true);
    expect(existsSync(join(dir, 'state/snapshots/first-0000.png'))).toBe(true);
  });
});
