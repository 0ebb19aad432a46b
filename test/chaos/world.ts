// One gate for a chaos scenario: a controller emulator on TCP, the real agent process with a
// screen (null sink, a tiny creative so every granted unlock is a real ffmpeg play and a real
// impression), the chaos proxy between the agent and the broker, and the exact reconciliation
// every scenario ends with.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllerEmulator, onTcp, type Transport } from '@doorcast/firmware-protocol/emulator';
import Database from 'better-sqlite3';
import { initKeyFile } from '../../agent/src/identity/keys.js';
import { Store } from '../../agent/src/store/index.js';
import type { CredentialBundle } from '../../broker/src/contract.js';
import type { RunningBroker } from '../../broker/src/server/broker.js';
import type { ImpressionStore } from '../../broker/src/store/impression-store.js';
import { startTestBroker, type TestBroker } from '../../broker/src/testing.js';
import { freePort, waitFor } from '../support/service-process.js';
import { AgentProcess } from './agent-process.js';
import { ChaosProxy } from './proxy.js';

export const SITE = 'chaos-site';
const BUDGET = { maxDoorEvents: 100_000, maxBytes: 2 ** 30 };

/** The broker side a world talks to: one node, or the node a cluster provisions through. */
export interface Cloud {
  mqttPort: number;
  provision: Pick<RunningBroker, 'addDevice' | 'creatives' | 'campaigns' | 'manifests'>;
  store: ImpressionStore;
}

export interface WorldOptions {
  device: string;
  cloud: Cloud;
  /** The agent's state dir (a small tmpfs for the disk-full scenario); default a temp dir. */
  stateDir?: string;
  /** Agent cloud settings over the chaos defaults (small batches, short timeouts). */
  link?: Record<string, unknown>;
  /** A proxy shared with other worlds (a cluster's balancer); the world does not close it. */
  proxy?: ChaosProxy;
  /** For the agent process: extra environment and node flags. */
  agentProcess?: { env?: Record<string, string>; nodeArgs?: string[] };
}

export interface Reconciliation {
  doorEvents: { generated: number; stored: number; missing: number[]; extra: number[]; duplicates: number };
  impressions: { recorded: number; inStore: number; missing: number[]; extra: number[]; duplicateSeqs: number; duplicateIds: number; idMismatches: number; highWater: number };
  outboxDepth: number;
}

/** A tiny clip: decoding it costs ffmpeg a few tens of ms, so plays stay cheap on 2 cores. */
function makeClip(dir: string): string {
  const file = join(dir, 'clip.mp4');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=5', '-t', '1', '-pix_fmt', 'yuv420p', '-y', file]);
  return file;
}

export class World {
  readonly ref: { site: string; device: string };
  readonly emu: ControllerEmulator;
  readonly agent: AgentProcess;
  readonly dbPath: string;
  #traffic: NodeJS.Timeout | undefined;
  #i = 0;

  private constructor(
    readonly dir: string,
    readonly proxy: ChaosProxy,
    readonly ownsProxy: boolean,
    readonly cloud: Cloud,
    readonly link: Transport,
    emu: ControllerEmulator,
    agent: AgentProcess,
    readonly stateDir: string,
    readonly creativeSha: string,
    device: string,
  ) {
    this.ref = { site: SITE, device };
    this.emu = emu;
    this.agent = agent;
    this.dbPath = join(stateDir, 'agent.db');
  }

  static async start(o: WorldOptions): Promise<World> {
    const dir = mkdtempSync(join(tmpdir(), `dc-chaos-${o.device}-`));
    const stateDir = o.stateDir ?? join(dir, 'state');
    mkdirSync(stateDir, { recursive: true });
    const proxy = o.proxy ?? (await ChaosProxy.start({ port: o.cloud.mqttPort }));
    const bundle: CredentialBundle = { ...(await o.cloud.provision.addDevice(SITE, o.device)), brokerUrl: proxy.url() };
    writeFileSync(join(dir, 'credentials.json'), JSON.stringify(bundle), { mode: 0o600 });
    const { sha256 } = await o.cloud.provision.creatives.addFile(makeClip(dir));
    await o.cloud.provision.campaigns.upsert({
      id: `house-${o.device}`,
      site: SITE,
      campaign: { id: `house-${o.device}`, tier: 'house', share: 1, dates: { from: '2026-01-01', to: '2099-12-31' }, creatives: [{ id: 'tiny-1', sha256, durationMs: 1000, firstSecondsMs: 500 }] },
      creatives: [sha256],
    });
    await o.cloud.provision.manifests.refresh();

    const emu = new ControllerEmulator({ controllerId: `EMU-${o.device}`.slice(0, 32), doors: 2, ringCapacity: 16_384, retransmitMs: 200, retransmitMaxMs: 1000 });
    const link = await onTcp(emu);
    initKeyFile(join(dir, 'keys.json'));
    const metricsPort = await freePort();
    const cloud = { credentialsFile: join(dir, 'credentials.json'), batchRecords: 20, maxInFlight: 2, ackTimeoutMs: 3000, flushIntervalMs: 100, stateIntervalMs: 5000, backoff: { baseMs: 100, capMs: 1000 }, ...o.link };
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        version: 1,
        device: { id: o.device, site: SITE },
        stateDir,
        keyFile: join(dir, 'keys.json'),
        site: { timezone: 'UTC' },
        sources: [{ kind: 'tcp', name: 'main', host: '127.0.0.1', port: link.port }],
        doors: [
          { id: 'east', source: 'main', controllerDoor: 1 },
          { id: 'west', source: 'main', controllerDoor: 2 },
        ],
        dwell: { graceMs: 200, maxMs: 2000, typicalMs: 1000 },
        metrics: { enabled: true, host: '127.0.0.1', port: metricsPort },
        clock: { sync: 'assume-synced' },
        cloud,
        screen: { sink: 'null', profile: { width: 32, height: 32, fps: 5, pixelFormat: 'rgb565le', maxDurationMs: 1000 }, prerollSlots: 0, cacheMaxBytes: 16 * 2 ** 20 },
      }),
    );
    const w = new World(dir, proxy, o.proxy === undefined, o.cloud, link, emu, new AgentProcess(config, metricsPort, o.agentProcess), stateDir, sha256, o.device);
    w.#installLedger();
    return w;
  }

  /**
   * Every impression the agent commits is copied, in the same transaction, into a ledger table
   * the agent never touches: what "recorded" means, even after acked rows leave the outbox.
   */
  #installLedger(): void {
    new Store({ path: this.dbPath, budget: BUDGET }).close();
    const db = new Database(this.dbPath);
    try {
      db.exec(`CREATE TABLE chaos_ledger (device_seq INTEGER NOT NULL, impression_id TEXT NOT NULL);
        CREATE TRIGGER chaos_ledger_copy AFTER INSERT ON impressions_outbox BEGIN
          INSERT INTO chaos_ledger (device_seq, impression_id) VALUES (new.device_seq, new.impression_id);
        END;`);
    } finally {
      db.close();
    }
  }

  /** Starts the agent and waits until its creative is ready, so granted unlocks play. */
  async startAgent(readyMs = 30_000): Promise<void> {
    this.agent.start();
    try {
      await waitFor(() => this.creativeReady(), readyMs, 'creative in the cache');
      await waitFor(async () => (await this.agent.metric('doorcast_cloud_connected')) === 1, readyMs, 'cloud link up');
    } catch (err) {
      const cache = (await this.agent.metricsText()).split('\n').filter((l) => l.startsWith('doorcast_cache') || l.startsWith('doorcast_cloud'));
      throw new Error(`${this.ref.device}: ${(err as Error).message}; agent metrics:\n${cache.join('\n')}\nagent log:\n${this.agent.lines.slice(-25).join('\n')}`, { cause: err });
    }
  }

  creativeReady(): boolean {
    return existsSync(join(this.stateDir, 'creatives', `${this.creativeSha}.mp4`));
  }

  /**
   * Door traffic: one event every `everyMs`, alternating doors; per door a granted unlock (a
   * play), the door opening and closing, and a denied unlock.
   */
  startTraffic(everyMs = 80): void {
    this.stopTraffic();
    this.#traffic = setInterval(() => {
      const k = this.#i++;
      const door = 1 + (k % 2);
      const cred = Buffer.from([7, (k >> 16) & 0xff, (k >> 8) & 0xff, k & 0xff]);
      switch (Math.floor(k / 2) % 4) {
        case 0:
          this.emu.unlock({ door, method: k % 3 ? 'card' : 'face', granted: true, credential: cred });
          break;
        case 1:
          this.emu.doorState(door, 'opened');
          break;
        case 2:
          this.emu.doorState(door, 'closed');
          break;
        default:
          this.emu.unlock({ door, method: 'qr', granted: false, reason: 1, credential: cred });
      }
    }, everyMs);
  }

  stopTraffic(): void {
    clearInterval(this.#traffic);
    this.#traffic = undefined;
  }

  /** Rows in the agent's outbox right now (read-only, beside the running agent). */
  outboxDepth(): number {
    return this.#read((db) => db.prepare('SELECT count(*) FROM impressions_outbox').pluck().get() as number);
  }

  /** Impressions the agent has committed so far (the ledger). */
  recorded(): number {
    return this.#read((db) => db.prepare('SELECT count(*) FROM chaos_ledger').pluck().get() as number);
  }

  #read<T>(f: (db: Database.Database) => T): T {
    const db = new Database(this.dbPath, { readonly: true, timeout: 5000 });
    try {
      return f(db);
    } finally {
      db.close();
    }
  }

  /** Waits for every event acked and the outbox empty (bounded), then compares both ledgers. */
  async settleAndReconcile(ms = 60_000): Promise<Reconciliation> {
    this.stopTraffic();
    await waitFor(() => this.emu.acked.size === this.emu.ledger.size, ms, `all ${this.emu.ledger.size} door events acked (${this.emu.acked.size} so far)`);
    // The last plays finish (1 s clips) and are recorded, then the outbox drains.
    await new Promise((r) => setTimeout(r, 1500));
    await waitFor(() => this.outboxDepth() === 0, ms, 'outbox drained');
    return this.reconcile();
  }

  async reconcile(): Promise<Reconciliation> {
    const agentSide = this.#read((db) => ({
      events: db.prepare('SELECT seq FROM door_events WHERE controller_id = ?').pluck().all(this.#controllerId()) as number[],
      ledger: db.prepare('SELECT device_seq AS seq, impression_id AS id FROM chaos_ledger').all() as { seq: number; id: string }[],
      highWater: (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'impressions_outbox'").pluck().get() as number | undefined) ?? 0,
      depth: db.prepare('SELECT count(*) FROM impressions_outbox').pluck().get() as number,
    }));
    const stored: { seq: number; id: string }[] = [];
    for (let after = 0, i = 0; i < 10_000; i++) {
      const page = await this.cloud.store.listImpressions(this.ref, { afterSeq: after, limit: 1000 });
      if (page.length === 0) break;
      for (const r of page) stored.push({ seq: r.deviceSeq, id: r.impressionId });
      after = page.at(-1)!.deviceSeq;
    }
    const generated = [...this.emu.ledger.keys()];
    const events = new Set(agentSide.events);
    const byId = new Map(agentSide.ledger.map((r) => [r.seq, r.id]));
    const inStore = new Set(stored.map((r) => r.seq));
    return {
      doorEvents: {
        generated: generated.length,
        stored: agentSide.events.length,
        missing: generated.filter((s) => !events.has(s)),
        extra: agentSide.events.filter((s) => !this.emu.ledger.has(s)),
        duplicates: agentSide.events.length - events.size,
      },
      impressions: {
        recorded: agentSide.ledger.length,
        inStore: stored.length,
        missing: [...byId.keys()].filter((s) => !inStore.has(s)),
        extra: [...inStore].filter((s) => !byId.has(s)),
        duplicateSeqs: stored.length - inStore.size + (agentSide.ledger.length - byId.size),
        duplicateIds: stored.length - new Set(stored.map((r) => r.id)).size,
        idMismatches: stored.filter((r) => byId.has(r.seq) && byId.get(r.seq) !== r.id).length,
        highWater: agentSide.highWater,
      },
      outboxDepth: agentSide.depth,
    };
  }

  #controllerId(): string {
    return `EMU-${this.ref.device}`.slice(0, 32);
  }

  async destroy(): Promise<void> {
    this.stopTraffic();
    await this.agent.stop();
    if (this.ownsProxy) await this.proxy.close();
    await this.link.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What every scenario asserts at the end: nothing missing, nothing extra, nothing twice. */
export function exact(r: Reconciliation): unknown {
  return {
    doorEvents: { ...r.doorEvents, generated: r.doorEvents.stored, missing: [], extra: [], duplicates: 0 },
    impressions: { ...r.impressions, inStore: r.impressions.recorded, missing: [], extra: [], duplicateSeqs: 0, duplicateIds: 0, idMismatches: 0, highWater: r.impressions.recorded },
    outboxDepth: 0,
  };
}

/** A metric summed over the agents of several worlds. */
export async function sumOver(worlds: readonly World[], metric: string): Promise<number> {
  let n = 0;
  for (const w of worlds) n += await w.agent.metric(metric);
  return n;
}

export interface Gate {
  broker: TestBroker;
  world: World;
  destroy(): Promise<void>;
}

/** One gate on its own broker in this process (embedded default: aedes and SQLite). */
export async function startGate(device: string, o: Omit<WorldOptions, 'device' | 'cloud'> = {}): Promise<Gate> {
  const broker = await startTestBroker();
  try {
    const world = await World.start({ ...o, device, cloud: { mqttPort: broker.mqttPort!, provision: broker, store: broker.store } });
    return {
      broker,
      world,
      async destroy() {
        await world.destroy();
        await broker.destroy();
      },
    };
  } catch (err) {
    await broker.destroy();
    throw err;
  }
}
