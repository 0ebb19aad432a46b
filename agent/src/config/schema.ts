// The agent's one config schema (YAML on disk). Types are derived from it; unknown keys are
// errors, because a typo in a gate's config must fail at start, not be silently ignored.
import { z } from 'zod';
import { TimeZoneSchema } from '../clock/time-zone.js';
import { GpioSourceSchema } from '../door/gpio-source.js';
import { UdpControllerSourceSchema } from '../door/uhppote/udp-controller-source.js';
import { DEFAULT_SCREEN, ScreenProfileSchema } from '../media/screen-profile.js';

const Id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and -, at most 64');
const Ms = (min: number, max: number) => z.number().int().min(min).max(max);


const SerialSource = z.strictObject({
  kind: z.literal('serial'),
  name: Id,
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(115200),
  controllerId: z.string().max(32).optional(),
});
const TcpSource = z.strictObject({
  kind: z.literal('tcp'),
  name: Id,
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  controllerId: z.string().max(32).optional(),
});
const SimSource = z.strictObject({
  kind: z.literal('sim'),
  name: Id,
  /** Simulated-time speed-up for the demo; 1 = real time. */
  speed: z.number().positive().max(10_000).default(60),
  doors: z.number().int().min(1).max(16).default(2),
  seed: z.number().int().default(1),
});
export const SourceConfigSchema = z.discriminatedUnion('kind', [SerialSource, TcpSource, GpioSourceSchema, UdpControllerSourceSchema, SimSource]);
export type SourceConfig = z.infer<typeof SourceConfigSchema>;

/** The MQTT link to the cloud (CLOUD-LINK.md). Absent: the agent runs offline and keeps every impression. */
export const CloudConfigSchema = z.strictObject({
  /** The credential bundle from `doorcast-broker device add` (mode 0600). */
  credentialsFile: z.string().min(1),
  /** 4 = MQTT 3.1.1 (default, what aedes speaks), 5 = MQTT 5. */
  protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
  /** PEM CA bundle to verify an mqtts:// or wss:// broker; default: the system's. */
  caFile: z.string().min(1).optional(),
  batchRecords: z.number().int().min(1).max(500).default(500),
  maxInFlight: z.number().int().min(1).max(64).default(4),
  ackTimeoutMs: Ms(1000, 600_000).default(30_000),
  flushIntervalMs: Ms(50, 60_000).default(1000),
  stateIntervalMs: Ms(1000, 3_600_000).default(60_000),
  backoff: z.strictObject({ baseMs: Ms(50, 60_000).default(1000), capMs: Ms(100, 3_600_000).default(60_000) }).prefault({}),
});
export type CloudConfig = z.infer<typeof CloudConfigSchema>;

/** The screen beside the door. Absent: the agent records door events and plays nothing. */
export const ScreenConfigSchema = z.strictObject({
  sink: z.enum(['framebuffer', 'snapshot', 'null']).default('framebuffer'),
  /** The framebuffer device (sink framebuffer); its geometry is read from sysfs. */
  device: z.string().min(1).default('/dev/fb0'),
  sysfsRoot: z.string().min(1).default('/sys'),
  /** Where the snapshot sink keeps first-frame PNGs and the frame-hash log; default <stateDir>/snapshots. */
  snapshotDir: z.string().min(1).optional(),
  profile: ScreenProfileSchema.default(DEFAULT_SCREEN),
  /** Transcoded creatives by content hash (<sha256>.mp4); default <stateDir>/creatives. */
  creativesDir: z.string().min(1).optional(),
  /** A campaign set (JSON) to play until the first manifest arrives: offline boxes, the demo. */
  campaignsFile: z.string().min(1).optional(),
  prerollSlots: z.number().int().min(0).max(4).default(2),
  /** Sound with the video: an ALSA device (e.g. default, hw:0). Off unless set; muted in quiet hours. */
  audioDevice: z.string().min(1).max(64).optional(),
  /** Shown when no creative can play (all failed or missing): a PNG/JPEG at any size. */
  stillImage: z.string().min(1).optional(),
  /** Disk for transcoded creatives; creatives the manifest no longer names are evicted past it. */
  cacheMaxBytes: z.number().int().min(16 * 2 ** 20).default(2 * 2 ** 30),
});
export type ScreenConfig = z.infer<typeof ScreenConfigSchema>;

/** Updates from the cloud (agent/src/update). Absent: update commands are refused. */
export const UpdateConfigSchema = z.strictObject({
  /** Where releases are unpacked and `current` points (writable by the agent). */
  root: z.string().min(1).default('/var/lib/doorcast'),
  /** The release installed with the image: what `current` starts as. */
  base: z.string().min(1).default('/opt/doorcast/agent'),
  /** A new release confirms itself after running this long; unconfirmed ones roll back. */
  confirmAfterMs: Ms(1000, 3_600_000).default(60_000),
});

export const AgentConfigSchema = z
  .strictObject({
    version: z.literal(1),
    device: z.strictObject({ id: Id, site: Id }),
    /** Writable state: the SQLite database, creative cache, last good manifest. */
    stateDir: z.string().min(1),
    /** The site pseudonymisation key file (mode 0600). */
    keyFile: z.string().min(1),
    site: z.strictObject({ timezone: TimeZoneSchema }),
    sources: z.array(SourceConfigSchema).min(1),
    doors: z
      .array(z.strictObject({ id: Id, source: Id, controllerDoor: z.number().int().min(1).max(16) }))
      .min(1),
    dwell: z
      .strictObject({ graceMs: Ms(0, 60_000).default(3000), maxMs: Ms(1000, 600_000).default(30_000), typicalMs: Ms(500, 120_000).default(6000) })
      .prefault({}),
    store: z
      .strictObject({ maxDoorEvents: z.number().int().min(1000).default(500_000), maxBytes: z.number().int().min(1 << 20).default(512 * 2 ** 20) })
      .prefault({}),
    metrics: z
      .strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9464), enabled: z.boolean().default(true) })
      .prefault({}),
    cloud: CloudConfigSchema.optional(),
    screen: ScreenConfigSchema.optional(),
    update: UpdateConfigSchema.optional(),
    log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') }).prefault({}),
    clock: z
      .strictObject({
        /** How to tell the clock is synchronised: systemd-timesyncd's flag file, or trust it. */
        sync: z.enum(['timesyncd', 'assume-synced', 'never']).default('timesyncd'),
        flagFile: z.string().default('/run/systemd/timesync/synchronized'),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    c.sources.forEach((s, i) => {
      if (names.has(s.name)) ctx.addIssue({ code: 'custom', path: ['sources', i, 'name'], message: `duplicate source name ${s.name}` });
      names.add(s.name);
    });
    const ids = new Set<string>();
    const mapped = new Set<string>();
    c.doors.forEach((d, i) => {
      if (ids.has(d.id)) ctx.addIssue({ code: 'custom', path: ['doors', i, 'id'], message: `duplicate door id ${d.id}` });
      ids.add(d.id);
      if (!names.has(d.source)) ctx.addIssue({ code: 'custom', path: ['doors', i, 'source'], message: `no source named ${d.source}` });
      const key = `${d.source}#${d.controllerDoor}`;
      if (mapped.has(key)) ctx.addIssue({ code: 'custom', path: ['doors', i, 'controllerDoor'], message: `door ${d.controllerDoor} of ${d.source} is mapped twice` });
      mapped.add(key);
    });
  });

export type AgentConfig = z.infer<typeof AgentConfigSchema>;
