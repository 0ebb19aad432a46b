// The whole moment in-process: simulated unlocks → dwell windows → select() → the real player
// (ffmpeg, snapshot sink) → impressions with counters in the outbox, one per play.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/pty.js';
import { Clock } from '../clock/clock.js';
import { parseConfig } from '../config/load.js';
import { initKeyFile } from '../identity/keys.js';
import { locate } from '../media/ffmpeg.js';
import { silentLogger } from '../obs/log.js';
import { Registry } from '../obs/metrics.js';
import { Player } from '../player/player.js';
import { SnapshotSink } from '../player/snapshot-sink.js';
import type { Play } from '../store/records.js';
import { Agent } from './agent.js';
import { Screen } from './screen.js';
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
        return db
          .prepare('SELECT impression_id, body FROM impressions_outbox ORDER BY device_seq')
          .all()
          .map((r) => ({ ...JSON.parse((r as { body: string }).body), impressionId: (r as { impression_id: string }).impression_id }));
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
    // The proof-of-play log names the impressions by their ids.
    const ids = new Set(plays.map((p) => p.impressionId));
    const logged = readFileSync(join(dir, 'state/snapshots/hashes.log'), 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
    expect(logged.some((id) => ids.has(id))).toBe(true);
  });

  it('when no creative can play, the failure is recorded and a still is shown instead of a dark screen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-still-'));
    const creatives = join(dir, 'creatives');
    mkdirSync(creatives);
    const bad = Buffer.from('not a video');
    const sha = createHash('sha256').update(bad).digest('hex');
    writeFileSync(join(creatives, `${sha}.mp4`), bad);
    const still = join(dir, 'still.png');
    execFileSync(locate('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=blue:size=160x96', '-frames:v', '1', '-y', still]);
    const registry = new Registry();
    const sink = new SnapshotSink({ dir: join(dir, 'snap') });
    const player = new Player({ ffmpeg: locate('ffmpeg'), profile: { width: 160, height: 96, fps: 10, pixelFormat: 'rgb24', maxDurationMs: 30_000 }, sink, log: silentLogger, registry });
    const plays: Play[] = [];
    const screen = new Screen({
      player,
      store: { recordPlay: (p) => plays.push(p), recordPassage: () => {}, passagesOf: () => [], counters: { read: () => ({ byCampaign: new Map(), playsByDay: new Map(), negative: new Set() }) } },
      clock: new Clock({ sync: 'assume-synced' }),
      timeZone: 'UTC',
      site: 'maple',
      creativesDir: creatives,
      doorNumber: () => 1,
      expectedRemainingMs: () => 1500,
      stillImage: still,
      log: silentLogger,
      registry,
    });
    expect(screen.setCampaigns({ campaigns: [{ id: 'broken', tier: 'paid', dates: { from: '2020-01-01', to: '2099-12-31' }, creatives: [{ id: 'broken-a', sha256: sha, durationMs: 1000, firstSecondsMs: 500 }] }] })).toBe(true);
    screen.opened({ id: 1, door: 'east', openedAt: Date.now(), method: 'card', pseudonym: null, closedAt: null });
    await screen.idle();
    await player.stop();
    await sink.close();
    expect(plays.map((p) => [p.campaignId, p.outcome, p.framesShown])).toEqual([
      ['broken', 'failed', 0],
      ['broken', 'failed', 0],
    ]);
    const blue = PNG.sync.read(readFileSync(sink.lastPng!));
    expect(blue.data[0]! + blue.data[1]!).toBeLessThan(10);
    expect(blue.data[2]).toBeGreaterThan(240);
    const failures = (await registry.getSingleMetric('doorcast_screen_failures_total')?.get())?.values ?? [];
    expect(failures.find((v) => v.labels.reason === 'still-shown')?.value).toBe(1);
  });
});
