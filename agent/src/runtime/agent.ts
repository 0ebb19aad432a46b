// The agent process: config → key → store → sources → ingest → dwell, plus metrics, logs and
// systemd integration. start() brings everything up in order; stop() takes it down in
// reverse, finishing the current transaction before the database closes.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestBody } from '@doorcast/firmware-protocol/cloud';
import { CreativeCache } from '../cache/creative-cache.js';
import { Clock } from '../clock/clock.js';
import type { AgentConfig, ScreenConfig } from '../config/schema.js';
import { type ClosedWindow, DwellTracker, type DwellWindow } from '../door/dwell.js';
import type { DoorSource } from '../door/source.js';
import { loadKeyFile } from '../identity/keys.js';
import { createDeliver, type DoorEventSink } from '../ingest/pipeline.js';
import { locate } from '../media/ffmpeg.js';
import { type MetricsServer, serveMetrics } from '../obs/http.js';
import type { Logger } from '../obs/log.js';
import { Counter, metric, Registry } from '../obs/metrics.js';
import { type SdNotifier, sdNotifier } from '../obs/sd-notify.js';
import { FramebufferSink } from '../player/framebuffer-sink.js';
import { Player } from '../player/player.js';
import { type FrameSink, NullSink } from '../player/sink.js';
import { SnapshotSink } from '../player/snapshot-sink.js';
import type { Stamp } from '../store/records.js';
import { type Cloud, startCloud } from '../sync/cloud.js';
import type { ManifestCache } from '../sync/manifest-sync.js';
import type { UplinkOutbox } from '../sync/uplink.js';
import { confirmUpdate } from '../update/guard.js';
import { ReleaseRoot, stageRelease } from '../update/release.js';
import { Screen, type ScreenStore } from './screen.js';
import { buildSource, type SourceDeps } from './sources.js';

export interface AgentStore extends DoorEventSink {
  close(): void;
  outbox: UplinkOutbox & { depth(): number; oldestAgeMs(now: Stamp): number };
  doorCounts: UplinkOutbox & { closeHours(nowMs: number, doorNumber: (door: string) => number, bootId: string): number };
  state: ManifestCache & {
    noteBoot(bootId: string, now: number): void;
    correctClock(bootId: string, offsetMs: number, now: number): number;
  };
}

export interface AgentDeps {
  log: Logger;
  /** Opens the local store in the state directory. */
  openStore: (config: AgentConfig, log: Logger, registry: Registry) => AgentStore;
  registry?: Registry;
  /** Told about dwell windows (the player issue plugs in here). */
  onWindow?: { opened(w: DwellWindow): void; closed(w: ClosedWindow): void };
  clockCheckMs?: number;
  /** How to restart after staging an update (default: SIGTERM to self; systemd restarts). */
  restart?: () => void;
  /** Replaces the configured sink (tests and benchmarks that time frames). */
  sink?: FrameSink;
  /** Told about each manifest that becomes current (targeting and the cache plug in here). */
  onManifest?(m: ManifestBody): void;
}

/** The tool's path, or its bare name (every run then fails with a clear ENOENT, counted). */
function safeLocate(tool: 'ffmpeg' | 'ffprobe'): string {
  try {
    return locate(tool);
  } catch {
    return tool;
  }
}

export class Agent {
  readonly registry: Registry;
  readonly clock: Clock;
  readonly sources: DoorSource[] = [];
  #store: AgentStore | undefined;
  #metrics: MetricsServer | undefined;
  #notify: SdNotifier | undefined;
  #dwell: DwellTracker | undefined;
  #dwellTimer: NodeJS.Timeout | undefined;
  #clockTimer: NodeJS.Timeout | undefined;
  #correctionPending = false;
  #cloud: Cloud | undefined;
  #countTimer: NodeJS.Timeout | undefined;
  #confirmTimer: NodeJS.Timeout | undefined;
  #doorNumbers = new Map<string, number>();
  #screen: Screen | undefined;
  #cache: CreativeCache | undefined;
  #player: Player | undefined;
  #sink: FrameSink | undefined;
  #log: Logger;

  constructor(
    readonly config: AgentConfig,
    readonly deps: AgentDeps,
  ) {
    this.registry = deps.registry ?? new Registry();
    this.#log = deps.log;
    this.clock = new Clock({ sync: config.clock.sync, flagFile: config.clock.flagFile });
  }

  get metricsPort(): number | undefined {
    return this.#metrics?.port;
  }

  get store(): AgentStore | undefined {
    return this.#store;
  }

  get cloud(): Cloud | undefined {
    return this.#cloud;
  }

  get screen(): Screen | undefined {
    return this.#screen;
  }

  get sink(): FrameSink | undefined {
    return this.#sink;
  }

  /**
   * The door number the cloud contract carries (1–16): the controller's own number. Doors of
   * different sources can share one; the door id stays on the device.
   */
  #doorNumber(door: string): number {
    if (this.#doorNumbers.size === 0) for (const d of this.config.doors) this.#doorNumbers.set(d.id, d.controllerDoor);
    return this.#doorNumbers.get(door) ?? Math.min(16, Math.max(1, Number(/(\d+)$/.exec(door)?.[1] ?? 1)));
  }

  /** Stages the release beside this one, then stops: systemd restarts into it. */
  #update(release: { version: string; url: string; sha256: string; bytes: number }): void {
    const u = this.config.update;
    if (!u) return;
    const log = this.#log.child({ component: 'update' });
    log.info({ version: release.version, url: release.url }, 'update: fetching');
    stageRelease(release, new ReleaseRoot(u.root), { confirmWithinMs: u.confirmAfterMs * 10 })
      .then((p) => {
        log.info({ from: p.from, to: p.to }, 'update staged; restarting into it');
        (this.deps.restart ?? (() => process.kill(process.pid, 'SIGTERM')))();
      })
      .catch((err: Error) => log.error({ err: err.message, code: (err as { code?: string }).code }, 'update refused; running release unchanged'));
  }

  #buildScreen(sc: ScreenConfig): Screen {
    const c = this.config;
    const log = this.#log.child({ component: 'screen' });
    const store = this.#store as unknown as ScreenStore;
    // A screen that cannot open (no framebuffer here) must not stop the door path: fall back
    // to the null sink and say so.
    let sink: FrameSink;
    try {
      sink = this.deps.sink ?? (sc.sink === 'framebuffer' ? new FramebufferSink(sc.device, sc.sysfsRoot) : sc.sink === 'snapshot' ? new SnapshotSink({ dir: sc.snapshotDir! }) : new NullSink());
    } catch (err) {
      log.error({ err: (err as Error).message }, 'screen sink unavailable; playing to the null sink');
      sink = new NullSink();
    }
    this.#sink = sink;
    let ffmpeg = 'ffmpeg';
    try {
      ffmpeg = locate('ffmpeg');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'no ffmpeg: plays will fail and be recorded as failed');
    }
    this.#player = new Player({ ffmpeg, profile: sc.profile, sink, log, registry: this.registry, prerollSlots: sc.prerollSlots, audio: sc.audioDevice ? { device: sc.audioDevice } : null });
    const screen = new Screen({
      player: this.#player,
      store,
      clock: this.clock,
      timeZone: c.site.timezone,
      site: c.device.site,
      creativesDir: sc.creativesDir!,
      doorNumber: (door) => this.#doorNumber(door),
      expectedRemainingMs: (door, now) => this.#dwell?.current(door, now)?.expectedRemainingMs ?? 0,
      onImpression: () => this.#cloud?.uplink.pump(),
      played: (sha) => this.#cache?.touch(sha),
      stillImage: sc.stillImage,
      log,
      registry: this.registry,
    });
    if (sc.campaignsFile) {
      try {
        screen.setCampaigns(JSON.parse(readFileSync(sc.campaignsFile, 'utf8')));
      } catch (err) {
        log.error({ err: (err as Error).message, file: sc.campaignsFile }, 'cannot read the local campaign set');
      }
    }
    return screen;
  }

  async start(): Promise<void> {
    const c = this.config;
    const log = this.#log;
    const key = loadKeyFile(c.keyFile);
    this.#store = this.deps.openStore(c, log, this.registry);
    this.#store.state.noteBoot(this.clock.bootId, Date.now());
    if (this.clock.synced) this.#correctClock();
    const windows = metric(this.registry, 'doorcast_dwell_windows_total', (registers) => new Counter({ name: 'doorcast_dwell_windows_total', help: 'Dwell windows closed, by reason', labelNames: ['reason'], registers }));
    this.#screen = c.screen ? this.#buildScreen(c.screen) : undefined;
    this.#dwell = new DwellTracker(c.dwell, {
      opened: (w) => {
        this.#scheduleDwell();
        this.#screen?.opened(w);
        this.deps.onWindow?.opened(w);
      },
      closed: (w) => {
        windows.inc({ reason: w.reason });
        this.deps.onWindow?.closed(w);
      },
    });
    const doorIds = new Map(c.doors.map((d) => [`${d.source}#${d.controllerDoor}`, d.id]));
    const deliver = createDeliver({
      store: this.#store,
      key,
      clock: this.clock,
      dwell: this.#dwell,
      // An unmapped door still gets recorded, under a name that says where it came from.
      doorId: (source, n) => doorIds.get(`${source}#${n}`) ?? `${source}-door-${n}`,
      log,
      registry: this.registry,
    });
    if (c.cloud) {
      this.#cloud = startCloud(c.cloud, {
        beforeLink: (bundle) => {
          if (c.screen) {
            this.#cache = new CreativeCache({
              root: join(c.stateDir, 'cache'),
              readyDir: c.screen.creativesDir!,
              profile: c.screen.profile,
              maxBytes: c.screen.cacheMaxBytes,
              ffmpeg: safeLocate('ffmpeg'),
              ffprobe: safeLocate('ffprobe'),
              auth: { username: bundle.username, password: bundle.password },
              log: log.child({ component: 'cache' }),
              registry: this.registry,
            });
          }
        },
        outbox: this.#store.outbox,
        doorCounts: this.#store.doorCounts,
        cache: this.#store.state,
        clock: this.clock,
        log,
        registry: this.registry,
        onManifest: (m) => {
          this.deps.onManifest?.(m);
          const cache = this.#cache;
          if (!cache) {
            this.#screen?.fromManifest(m);
            return;
          }
          // New campaigns take over once their creatives are on disk; the old ones play until then.
          cache
            .sync(m.creatives, this.#cloud?.bundle.httpUrl ?? '')
            .then((r) => {
              if (r.failed.length) log.warn({ failed: r.failed.length, ready: r.ready.length }, 'some creatives are not ready; their campaigns fall back');
              this.#screen?.fromManifest(m);
            })
            .catch((err: Error) => log.error({ err: err.message }, 'creative sync failed'));
        },
        onUpdate: c.update ? (release) => this.#update(release) : undefined,
      });
    }
    const sourceDeps: SourceDeps = { log, registry: this.registry, syncedNow: () => this.clock.syncedNow() };
    for (const sc of c.sources) this.sources.push(buildSource(sc, sourceDeps));
    // Sources that cannot connect yet keep retrying on their own; start never blocks on them.
    await Promise.all(this.sources.map((s) => s.start(deliver)));
    if (c.metrics.enabled) this.#metrics = await serveMetrics(this.registry, c.metrics.host, c.metrics.port);
    this.#clockTimer = setInterval(() => {
      if (this.clock.refresh() || this.#correctionPending) this.#correctClock();
    }, this.deps.clockCheckMs ?? 10_000);
    this.#clockTimer.unref();
    if (this.#cloud) {
      const countHours = () => {
        try {
          if ((this.#store?.doorCounts.closeHours(Date.now(), (d) => this.#doorNumber(d), this.clock.bootId) ?? 0) > 0) this.#cloud?.link.pump();
        } catch (err) {
          log.error({ err: (err as Error).message }, 'door counts not computed; next hour tries again');
        }
      };
      countHours();
      this.#countTimer = setInterval(countHours, 60_000);
      this.#countTimer.unref();
    }
    if (c.update) {
      const root = new ReleaseRoot(c.update.root);
      // Still up after confirmAfterMs with the store open: this release is good.
      this.#confirmTimer = setTimeout(() => {
        if (this.#store && confirmUpdate(root)) log.info({ release: root.target() }, 'update confirmed');
      }, c.update.confirmAfterMs);
      this.#confirmTimer.unref();
    }
    this.#notify = sdNotifier(log);
    this.#notify.ready();
    log.info({ device: c.device.id, site: c.device.site, sources: c.sources.map((s) => `${s.name}:${s.kind}`), metricsPort: this.#metrics?.port }, 'agent started');
  }

  /** DESIGN.md rule 6: once synchronised, rows of this boot stamped before are corrected. */
  #correctClock(): void {
    try {
      const n = this.#store?.state.correctClock(this.clock.bootId, this.clock.offsetMs(), Date.now()) ?? 0;
      this.#correctionPending = false;
      this.#log.info({ corrected: n, offsetMs: this.clock.offsetMs() }, 'clock synchronised; earlier records of this boot corrected');
    } catch (err) {
      this.#correctionPending = true;
      this.#log.error({ err: (err as Error).message }, 'clock correction failed; will retry at the next check');
    }
  }

  #scheduleDwell(): void {
    clearTimeout(this.#dwellTimer);
    const next = this.#dwell?.nextDeadline();
    if (next == null) return;
    this.#dwellTimer = setTimeout(() => {
      this.#dwell?.expire(Date.now());
      this.#scheduleDwell();
    }, Math.max(0, next - Date.now()));
    this.#dwellTimer.unref();
  }

  async stop(): Promise<void> {
    this.#notify?.stopping();
    this.#notify?.stop();
    clearInterval(this.#clockTimer);
    clearInterval(this.#countTimer);
    clearTimeout(this.#confirmTimer);
    clearTimeout(this.#dwellTimer);
    // Sources first, so no event arrives after the database is closed.
    await Promise.all(this.sources.map((s) => s.stop()));
    this.#dwell?.stop(Date.now());
    this.#cache?.stop();
    await this.#cache?.idle();
    await this.#player?.stop();
    await this.#screen?.idle();
    await this.#sink?.close();
    await this.#cloud?.stop();
    await this.#metrics?.close();
    this.#store?.close();
    this.#store = undefined;
    this.#log.info('agent stopped');
  }
}
