// The whole agent in-process: sim controller → sources → ingest → SQLite, metrics, clock.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/pty.js';
import { parseConfig } from '../config/load.js';
import { FakeGpioKernel } from '../door/testing/fake-sysfs.js';
import { UhppoteEmulator } from '../door/uhppote/emulator.js';
import type { UdpControllerSource } from '../door/uhppote/udp-controller-source.js';
import { initKeyFile } from '../identity/keys.js';
import { silentLogger } from '../obs/log.js';
import { Agent } from './agent.js';
import { openAgentStore } from './store.js';

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'dc-agent-'));
  initKeyFile(join(dir, 'keys.json'));
  const flag = join(dir, 'synchronized');
  const config = parseConfig({
    version: 1,
    device: { id: 'gate-01', site: 'maple-court' },
    stateDir: join(dir, 'state'),
    keyFile: join(dir, 'keys.json'),
    site: { timezone: 'Asia/Shanghai' },
    sources: [{ kind: 'sim', name: 'demo', speed: 3000, doors: 2 }],
    doors: [{ id: 'east-gate', source: 'demo', controllerDoor: 1 }],
    metrics: { port: 0 },
    clock: { sync: 'timesyncd', flagFile: flag },
  });
  return { dir, flag, config };
}

const count = (agent: Agent) => (agent.store as unknown as { doorEvents: { count(): number } }).doorEvents.count();

describe('Agent', () => {
  it('stores simulated traffic with pseudonyms, maps doors, serves metrics, stops cleanly', async () => {
    const { dir, config } = setup();
    const agent = new Agent(config, { log: silentLogger, openStore: openAgentStore });
    await agent.start();
    try {
      await waitFor(() => count(agent) >= 30, '30 stored events', 20_000);
      const res = await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`);
      const text = await res.text();
      expect(text).toMatch(/doorcast_source_events_total\{source="demo",kind="unlock",outcome="stored"\} \d+/);
      expect(text).toMatch(/doorcast_source_up\{source="demo"\} 1/);
      expect((await fetch(`http://127.0.0.1:${agent.metricsPort}/nope`)).status).toBe(404);
    } finally {
      await agent.stop();
    }
    const db = new Database(join(dir, 'state/agent.db'), { readonly: true });
    const doors = db.prepare('SELECT DISTINCT door FROM door_events ORDER BY door').all().map((r) => (r as { door: string }).door);
    expect(doors).toContain('east-gate');
    expect(doors).toContain('demo-door-2'); // unmapped, still recorded
    const pseud = db.prepare("SELECT pseudonym FROM door_events WHERE kind = 'unlock' AND pseudonym IS NOT NULL LIMIT 1").get() as { pseudonym: string };
    expect(pseud.pseudonym).toMatch(/^k1\.[A-Za-z0-9_-]{22}$/);
    db.close();
  });

  it('runs several kinds of source at once: udp-controller and gpio beside the simulator', async () => {
    const { dir, config } = setup();
    const kernel = new FakeGpioKernel([{ base: 512, ngpio: 54, label: 'pinctrl-bcm2711' }]);
    const agent = new Agent(
      parseConfig({
        ...config,
        sources: [
          ...config.sources,
          { kind: 'udp-controller', name: 'side-gate', host: '127.0.0.1', port: 0, timezone: 'Asia/Shanghai' },
          { kind: 'gpio', name: 'bike-room', sysfsRoot: kernel.root, watch: 'poll', pollMs: 2, inputs: [{ line: 17, door: 1, role: 'door-contact', debounceMs: 5 }] },
        ],
        doors: [...config.doors, { id: 'side-gate', source: 'side-gate', controllerDoor: 1 }, { id: 'bike-room', source: 'bike-room', controllerDoor: 1 }],
      }),
      { log: silentLogger, openStore: openAgentStore },
    );
    await agent.start();
    const udp = agent.sources.find((s) => s.name === 'side-gate') as UdpControllerSource;
    const emu = new UhppoteEmulator({ serial: 4242, listener: { host: '127.0.0.1', port: udp.port! } });
    await emu.start();
    try {
      emu.swipe(99887766, 1, true);
      kernel.set(529, 1);
      const rows = () => {
        const db = new Database(join(dir, 'state/agent.db'), { readonly: true });
        try {
          return db.prepare("SELECT door, kind, state, pseudonym FROM door_events WHERE door IN ('side-gate', 'bike-room') ORDER BY door").all() as { door: string; kind: string; state: string | null; pseudonym: string | null }[];
        } finally {
          db.close();
        }
      };
      await waitFor(() => rows().length === 2, 'one event from each', 10_000);
      const [bike, side] = rows();
      expect(bike).toMatchObject({ door: 'bike-room', kind: 'door-state', state: 'opened', pseudonym: null });
      expect(side).toMatchObject({ door: 'side-gate', kind: 'unlock', pseudonym: expect.stringMatching(/^k1\./) });
      expect(agent.sources.map((s) => s.status().link)).toEqual(['up', 'up', 'up']);
    } finally {
      await emu.stop();
      await agent.stop();
      kernel.close();
    }
    // The raw card number is nowhere in the database files.
    for (const f of readdirSync(join(dir, 'state'))) expect(readFileSync(join(dir, 'state', f)).includes('99887766')).toBe(false);
  });

  it('corrects the wall time of earlier records once the clock synchronises', async () => {
    const { dir, flag, config } = setup();
    const agent = new Agent(config, { log: silentLogger, openStore: openAgentStore, clockCheckMs: 50 });
    await agent.start();
    try {
      await waitFor(() => count(agent) >= 5, 'events before sync', 20_000);
      writeFileSync(flag, '');
      await waitFor(() => agent.clock.synced, 'clock sync noticed');
    } finally {
      await agent.stop();
    }
    const db = new Database(join(dir, 'state/agent.db'), { readonly: true });
    const unsynced = db.prepare('SELECT count(*) AS n FROM door_events WHERE clock_synced = 0').get() as { n: number };
    const boots = db.prepare('SELECT synced_ms, offset_ms FROM boots').all() as { synced_ms: number | null }[];
    db.close();
    expect(unsynced.n).toBe(0);
    expect(boots[0]?.synced_ms).not.toBeNull();
  });

  it('a missing key file stops start with a clear error', async () => {
    const { config } = setup();
    const agent = new Agent({ ...config, keyFile: '/nonexistent/keys.json' }, { log: silentLogger, openStore: openAgentStore });
    await expect(agent.start()).rejects.toThrow(/cannot read key file/);
    await agent.stop();
  });
});
