// The broker's configuration file (YAML), versioned; the TypeScript type is derived from it.
import { z } from 'zod';

const host = z.string().min(1).default('127.0.0.1');
/** 0 picks a free port (tests). */
const port = z.int().min(0).max(65535);

export const ConfigSchema = z.strictObject({
  version: z.literal(1),
  /** Where the broker keeps its SQLite files, signing key and creatives. */
  stateDir: z.string().min(1),
  mqtt: z
    .strictObject({
      /** Plain MQTT over TCP. Off unless configured; use TLS beyond localhost. */
      tcp: z.strictObject({ host, port: port.default(1883) }).optional(),
      tls: z.strictObject({ host, port: port.default(8883), certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
      /**
       * Largest MQTT packet a client may send, any transport; a connection announcing more is
       * closed before it is buffered. The default fits the largest up payload with room to spare.
       */
      maxPacketBytes: z.int().min(1024).max(64 * 1024 * 1024).default(512 * 1024),
    })
    .default({ maxPacketBytes: 512 * 1024 }),
  http: z
    .strictObject({
      host,
      port: port.default(8080),
      /** MQTT over WebSocket on path /mqtt of this server. */
      websocket: z.boolean().default(true),
      /** /metrics: 'operator' needs operator credentials (HTTP Basic), 'public' needs none. */
      metrics: z.enum(['operator', 'public', 'off']).default('operator'),
    })
    .default({ host: '127.0.0.1', port: 8080, websocket: true, metrics: 'operator' }),
  /** What devices are told in their credential bundle; defaults derive from the listeners. */
  publicUrls: z
    .strictObject({
      mqtt: z.string().regex(/^(mqtts?|wss?):\/\//, 'mqtt://, mqtts://, ws:// or wss:// URL').optional(),
      http: z.string().regex(/^https?:\/\//, 'http:// or https:// URL').optional(),
    })
    .default({}),
  /**
   * Several broker nodes (deploy/cloud): routing through Redis (mqemitter-redis) and sessions,
   * retained and in-flight messages in Redis (aedes-persistence-redis). Absent: the embedded
   * default, everything in this process.
   */
  cluster: z
    .strictObject({ redis: z.strictObject({ url: z.string().regex(/^rediss?:\/\//, 'redis:// or rediss:// URL') }) })
    .optional(),
  /**
   * Where impressions, door counts and the broker state (identities, fleet, campaigns, manifests,
   * the marketplace, the signing key, creatives) go: SQLite and files in stateDir (default), or a
   * PostgreSQL every node shares, so nodes may run on separate hosts.
   */
  store: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('sqlite') }),
      z.strictObject({
        kind: z.literal('postgres'),
        url: z.string().regex(/^postgres(ql)?:\/\//, 'postgres:// URL'),
        /** Connections per node. */
        poolMax: z.int().min(1).max(200).default(10),
        statementTimeoutMs: z.int().min(100).default(30_000),
      }),
    ])
    .default({ kind: 'sqlite' }),
  auth: z
    .strictObject({
      /** How often live connections are re-checked against revocations made by another process. */
      recheckIntervalMs: z.int().min(100).default(5000),
    })
    .default({ recheckIntervalMs: 5000 }),
  manifest: z
    .strictObject({
      /** How often manifests are recompiled to pick up campaign changes made by another process. */
      refreshIntervalMs: z.int().min(100).default(30_000),
      /** Zone for quiet hours of sites with no setting of their own. */
      defaultTimezone: z.string().min(1).default('UTC'),
    })
    .default({ refreshIntervalMs: 30_000, defaultTimezone: 'UTC' }),
  /** The marketplace: console accounts, inventory, reports (API.md). */
  market: z
    .strictObject({
      /** Report cells covering fewer distinct residents are suppressed (DESIGN.md rule 5). */
      minCohort: z.int().min(2).max(1000).default(5),
      sessionTtlHours: z.number().min(0.1).max(24 * 30).default(12),
      /** Consecutive failed logins before an account is locked for lockSeconds. */
      maxFailedLogins: z.int().min(1).max(100).default(5),
      lockSeconds: z.int().min(1).max(86_400).default(300),
      currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217, e.g. CNY').default('CNY'),
      /** Largest creative upload, bytes. */
      maxUploadBytes: z.int().min(1024).max(2 * 1024 * 1024 * 1024).default(200 * 1024 * 1024),
      /** Longest accepted clip, ms: the screen profile's longest play, so nothing is cut unseen. */
      maxClipMs: z.int().min(1000).max(120_000).default(30_000),
      /** How often ended campaigns are swept out of the manifests. */
      sweepIntervalMs: z.int().min(1000).default(3_600_000),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).default({ level: 'info' }),
});

export type BrokerConfig = z.infer<typeof ConfigSchema>;
export type BrokerConfigInput = z.input<typeof ConfigSchema>;
