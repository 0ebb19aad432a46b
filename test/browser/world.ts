// The real things a browser test drives: the broker (API, console, MQTT), an operator and two
// merchants, market sites around a shop (one of them the agent's), and a real agent with a
// fast simulated door controller syncing plays to the broker. All on 127.0.0.1, ports 0.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, initKeyFile, locate, openAgentStore, parseConfig, silentLogger } from '@doorcast/agent';
import { Traffic } from '@doorcast/firmware-protocol/emulator';
import { loadKeyFile } from '../../agent/src/identity/keys.js';
import { pseudonymise } from '../../agent/src/identity/pseudonymise.js';
import { startTestBroker, type TestBroker } from '../../broker/src/testing.js';

export const SITE = 'lotus-court';
export const DEVICE = 'lotus-gate';
export const PASSWORD = 'correct horse battery';
export const SHOP = { name: 'Lotus Noodles', lat: 31.2304, lon: 121.4737 };
/** The sim's traffic, so the test knows which residents will pass (and records their consent). */
const SIM = { doors: 2, seed: 7, residents: 400 };

export interface Login {
  email: string;
  password: string;
}

export interface World {
  broker: TestBroker;
  agent: Agent;
  base: string;
  timezone: string;
  operator: Login;
  merchantA: Login;
  merchantB: Login;
  /** A 3 s H.264 clip made with ffmpeg's test source. */
  clip: string;
  /** Bytes that only claim to be a video. */
  notAVideo: string;
  stop(): Promise<void>;
}

async function call<T>(base: string, token: string | null, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function startWorld(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-browser-'));
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const broker = await startTestBroker({ manifest: { refreshIntervalMs: 1000, defaultTimezone: timezone } });
  const base = `http://127.0.0.1:${broker.httpPort}`;
  let agent: Agent | undefined;
  try {
    // The first operator comes from the account code (there is no one yet to create it over HTTP).
    const operator = { email: 'ops@doorcast.test', password: PASSWORD };
    await broker.market.accounts.create({ ...operator, name: 'Network ops', role: 'operator' });
    const { token } = await call<{ token: string }>(base, null, 'POST', '/api/v1/session', operator);
    const merchantA = { email: 'a@noodles.test', password: PASSWORD };
    const merchantB = { email: 'b@laundry.test', password: PASSWORD };
    await call(base, token, 'POST', '/api/v1/accounts', { ...merchantA, name: 'Ms A', role: 'merchant', merchant: SHOP });
    await call(base, token, 'POST', '/api/v1/accounts', { ...merchantB, name: 'Mr B', role: 'merchant', merchant: { name: 'Bubbles Laundry', lat: SHOP.lat + 0.01, lon: SHOP.lon } });
    // The agent's community, and two more around the shop for the map and the distance list.
    const prices = { night: 500, morning: 2000, midday: 1200, afternoon: 1200, evening: 2500, late: 800 };
    const sites = [
      { id: SITE, name: 'Lotus Court', lat: SHOP.lat + 0.004, lon: SHOP.lon + 0.003, doors: [{ id: 'east-gate', name: 'East gate', screens: 1 }, { id: 'lobby', name: 'Lobby', screens: 1 }] },
      { id: 'maple-garden', name: 'Maple Garden', lat: SHOP.lat - 0.012, lon: SHOP.lon + 0.01, doors: [{ id: 'north', name: 'North gate', screens: 1 }] },
      { id: 'river-view', name: 'River View', lat: SHOP.lat + 0.015, lon: SHOP.lon - 0.018, doors: [{ id: 'main', name: 'Main gate', screens: 1 }] },
    ];
    for (const s of sites) await call(base, token, 'POST', '/api/v1/sites', { ...s, timezone, capacityUnits: 4, priceCents: prices });

    // The device and its agent, wired as the demo does (test/demo/start.ts).
    const bundle = await broker.addDevice(SITE, DEVICE);
    const credentialsFile = join(dir, 'credentials.json');
    writeFileSync(credentialsFile, JSON.stringify(bundle), { mode: 0o600 });
    const keyFile = join(dir, 'site-key.json');
    initKeyFile(keyFile);

    // Consent for the simulated residents, so report cells reach the minimum cohort.
    const key = loadKeyFile(keyFile);
    const consent = new Traffic({ doors: SIM.doors, residents: SIM.residents, seed: SIM.seed }).residents.map((r) => pseudonymise(key, r.credential)).filter((p): p is string => p !== null);
    broker.campaigns.setSite(SITE, { ...broker.campaigns.site(SITE), consent });
    await broker.manifests.refresh();

    const config = parseConfig({
      version: 1,
      device: { id: DEVICE, site: SITE },
      stateDir: join(dir, 'agent'),
      keyFile,
      site: { timezone },
      sources: [{ kind: 'sim', name: 'sim', speed: 600, doors: SIM.doors, seed: SIM.seed }],
      doors: [
        { id: 'east-gate', source: 'sim', controllerDoor: 1 },
        { id: 'lobby', source: 'sim', controllerDoor: 2 },
      ],
      metrics: { port: 0 },
      clock: { sync: 'assume-synced' },
      cloud: { credentialsFile },
      // A small screen keeps the agent's transcode quick; the snapshot sink needs no display.
      screen: { sink: 'snapshot', snapshotDir: join(dir, 'snapshots'), creativesDir: join(dir, 'creatives'), profile: { width: 160, height: 96, fps: 10, pixelFormat: 'rgb24', maxDurationMs: 30_000 } },
    });
    agent = new Agent(config, { log: silentLogger, openStore: openAgentStore });
    await agent.start();

    const clip = join(dir, 'noodles.mp4');
    execFileSync(locate('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-t', '3', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-y', clip]);

    const notAVideo = join(dir, 'menu.mp4');
    writeFileSync(notAVideo, 'this is the menu, not a video\n'.repeat(100));

    const a = agent;
    return {
      broker,
      agent: a,
      base,
      timezone,
      operator,
      merchantA,
      merchantB,
      clip,
      notAVideo,
      async stop() {
        await a.stop();
        await broker.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await agent?.stop();
    await broker.destroy();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
