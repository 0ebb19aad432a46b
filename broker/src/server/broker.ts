// startBroker: the whole cloud side in one process — aedes over TCP, TLS and WebSocket,
// authentication, ACL, ingestion, fleet registry, manifests and creatives.
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Aedes, Client } from 'aedes';
import type { Registry } from 'prom-client';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { aclHooks } from '../acl/mqtt-hooks.js';
import { createApi } from '../api/app.js';
import { makeBundle, type PublicUrls, publicUrls } from '../auth/bundle.js';
import { IdentityStore } from '../auth/identities.js';
import { mqttAuthenticate } from '../auth/mqtt-authenticate.js';
import { Sessions } from '../auth/sessions.js';
import { deviceUsername, type Identity } from '../auth/usernames.js';
import { parseConfig } from '../config/load.js';
import type { BrokerConfig, BrokerConfigInput } from '../config/schema.js';
import { type Command, type CredentialBundle, type DeviceRef, encode, topicFor } from '../contract.js';
import { CreativeStore } from '../creatives/creative-store.js';
import { openStateDb } from '../db/database.js';
import { Enrolments } from '../enrol/enrolments.js';
import { Ingestor } from '../ingest/ingestor.js';
import { publishedHook } from '../ingest/published-hook.js';
import { CampaignTable } from '../manifest/campaigns.js';
import { ManifestPublisher } from '../manifest/publisher.js';
import { loadSigningKey, type SigningKey } from '../manifest/signing-key.js';
import { Market } from '../market/market.js';
import { type Logger, silentLogger } from '../obs/log.js';
import { BrokerMetrics, Registry as PromRegistry } from '../obs/metrics.js';
import { FleetRegistry } from '../registry/fleet.js';
import { LastSeen } from '../registry/last-seen.js';
import type { ImpressionStore } from '../store/impression-store.js';
import { openImpressionStore } from '../store/open-store.js';
import { createAedes } from './aedes-backend.js';
import { createHttpServer } from './http.js';
import { listen, listenTcp, listenTls, type MqttListener } from './listeners.js';
import { guardPacketSize } from './packet-guard.js';

export interface StartOptions {
  logger?: Logger;
  registry?: Registry;
  /** Defaults to SQLite at <stateDir>/impressions.sqlite. The broker closes it on stop(). */
  store?: ImpressionStore;
  now?: () => Date;
}

export interface RunningBroker {
  config: BrokerConfig;
  /** Bound ports (null when that listener is off). */
  mqttPort: number | null;
  tlsPort: number | null;
  httpPort: number;
  urls: PublicUrls;
  aedes: Aedes;
  identities: IdentityStore;
  fleet: FleetRegistry;
  campaigns: CampaignTable;
  creatives: CreativeStore;
  manifests: ManifestPublisher;
  store: ImpressionStore;
  signingKey: SigningKey;
  /** The marketplace: accounts, sites, bookings, uploads, reports (API.md). */
  market: Market;
  metrics: BrokerMetrics;
  registry: Registry;
  /** Provisions a device (or re-provisions a revoked one); returns its one-time bundle. */
  addDevice(site: string, device: string): Promise<CredentialBundle>;
  rotateDevice(site: string, device: string): Promise<CredentialBundle>;
  /** Revokes and disconnects at once; clears its retained manifest. */
  revokeDevice(site: string, device: string): Promise<void>;
  addOperator(name: string): Promise<CredentialBundle>;
  /** A one-time enrolment code for a device (doorcast provision --code). */
  createEnrolment(site: string, device: string, ttlMs: number): Promise<{ code: string; expiresAt: string }>;
  sendCommand(ref: DeviceRef, cmd: Command): Promise<void>;
  /** Closes connections whose credential was revoked or rotated since; returns how many. */
  recheckSessions(): Promise<number>;
  stop(): Promise<void>;
}

export async function startBroker(input: BrokerConfig | BrokerConfigInput, options: StartOptions = {}): Promise<RunningBroker> {
  const config = parseConfig(input);
  const log = (options.logger ?? silentLogger).child({ component: 'broker' });
  const now = options.now ?? (() => new Date());
  const registry = options.registry ?? new PromRegistry();
  const metrics = new BrokerMetrics(registry);

  // Undone in reverse order: network and broker first (`cleanups`), then, once batches in
  // flight have settled, the databases (`storeCleanups`).
  const cleanups: (() => Promise<void> | void)[] = [];
  const storeCleanups: (() => Promise<void> | void)[] = [];
  const run = async (list: (() => Promise<void> | void)[]) => {
    for (const f of list.splice(0).reverse()) await f();
  };
  const cleanup = async () => {
    await run(cleanups);
    await run(storeCleanups);
  };
  try {
    const db = await openStateDb(config, log);
    storeCleanups.push(() => db.close());
    const identities = new IdentityStore(db, now);
    const fleet = new FleetRegistry(db, now);
    // Alone, a restarted broker knows nobody is connected. In a cluster the other nodes' devices
    // are: their state messages and wills keep `online` right.
    if (!config.cluster) await fleet.resetConnections();
    const campaigns = new CampaignTable(db, now);
    // Clustered, the bytes live in PostgreSQL too and the dir is this node's cache.
    const creatives = new CreativeStore(join(config.stateDir, 'creatives'), { shared: db });
    // Nodes on separate hosts share one key through the state db; embedded keeps the file.
    const signingKey = await loadSigningKey(db, config.stateDir);
    const store = options.store ?? (await openImpressionStore(config, log));
    storeCleanups.push(() => store.close());

    const sessions = new Sessions();
    const inflight = new Set<Promise<unknown>>();
    const track = <T>(p: Promise<T>): Promise<T> => {
      inflight.add(p);
      const done = () => inflight.delete(p);
      p.then(done, done);
      return p;
    };

    // Embedded or clustered over Redis, per config.cluster (aedes-backend.ts).
    const backend = await createAedes(config, { connectTimeout: 10_000, log, onWillSuppressed: () => metrics.willsSuppressed.inc() });
    cleanups.push(() => backend.close());
    const aedes = backend.aedes;
    const publish = (topic: string, payload: Buffer, retain: boolean) =>
      new Promise<void>((resolve, reject) =>
        aedes.publish({ cmd: 'publish', topic, payload, qos: 1, retain, dup: false }, (err) => (err ? reject(err) : resolve())),
      );
    const ingestor = new Ingestor({ store, publishAck: (ref, ack) => publish(topicFor('ack', ref), encode('ack', ack), false), metrics, log, now });

    aedes.authenticate = mqttAuthenticate({ identities, sessions, metrics, log });
    const acl = aclHooks({ sessions, metrics, log });
    aedes.authorizePublish = acl.authorizePublish;
    aedes.authorizeSubscribe = acl.authorizeSubscribe;
    const lastSeen = new LastSeen(db, { log, now });
    storeCleanups.push(() => lastSeen.stop());
    aedes.published = publishedHook({ sessions, ingestor, fleet, lastSeen, metrics, log, track });
    const deviceOf = (i: Identity | undefined) => (i?.kind === 'device' ? { site: i.site, device: i.device } : null);
    aedes.on('clientReady', (client: Client) => {
      const s = sessions.ready(client);
      if (!s) return;
      metrics.connectedClients.inc({ kind: s.identity.kind });
      const ref = deviceOf(s.identity);
      if (ref) track(fleet.connected(ref)).catch((err: Error) => log.warn({ err: err.message, ...ref }, 'connection not recorded in the fleet'));
      log.info({ clientId: client.id, username: s.identity.username }, 'client connected');
    });
    aedes.on('clientDisconnect', (client: Client) => {
      const s = sessions.detach(client);
      if (!s) return;
      metrics.connectedClients.dec({ kind: s.identity.kind });
      const ref = deviceOf(s.identity);
      if (ref) track(fleet.disconnected(ref)).catch((err: Error) => log.warn({ err: err.message, ...ref }, 'disconnection not recorded in the fleet'));
      log.info({ clientId: client.id, username: s.identity.username }, 'client disconnected');
    });
    aedes.on('clientError', (client: Client, err: Error) => log.debug({ clientId: client.id, err: err.message }, 'client error'));

    const manifests = new ManifestPublisher({
      db,
      identities,
      campaigns,
      creatives,
      key: signingKey,
      publish,
      defaultTimezone: config.manifest.defaultTimezone,
      refreshIntervalMs: config.manifest.refreshIntervalMs,
      metrics,
      log,
      now,
    });
    await manifests.start();
    cleanups.push(() => manifests.stop());

    const market = new Market({
      db,
      store,
      campaigns,
      creatives,
      refreshManifests: (sites) => manifests.refresh(sites),
      config: config.market,
      stateDir: config.stateDir,
      log,
      registry,
      now,
    });
    await market.start();
    cleanups.push(() => market.stop());
    const api = await createApi({ market, fleet, currency: config.market.currency, metrics, log });
    cleanups.push(() => api.close());

    const maxPacket = config.mqtt.maxPacketBytes;
    const accept = (stream: Duplex, transport: 'tcp' | 'tls' | 'ws', req?: Parameters<Aedes['handle']>[1]) => {
      aedes.handle(stream, req);
      guardPacketSize(stream, maxPacket, (bytes) => {
        metrics.oversizedPackets.inc({ transport });
        log.warn({ transport, bytes, max: maxPacket }, 'packet over the limit; connection closed');
      });
    };

    let tcp: MqttListener | undefined;
    let tls: MqttListener | undefined;
    if (config.mqtt.tcp) {
      tcp = await listenTcp(config.mqtt.tcp.host, config.mqtt.tcp.port, (s) => accept(s, 'tcp'));
      cleanups.push(() => tcp?.close());
    }
    if (config.mqtt.tls) {
      const t = config.mqtt.tls;
      tls = await listenTls(t.host, t.port, t.certFile, t.keyFile, (s) => accept(s, 'tls'));
      cleanups.push(() => tls?.close());
    }

    const wss = config.http.websocket ? new WebSocketServer({ noServer: true, maxPayload: maxPacket }) : undefined;
    const enrolments = new Enrolments(db, now);
    const enrol = async (code: string) => {
      const ref = await enrolments.consume(code);
      const username = deviceUsername(ref.site, ref.device);
      const existing = await identities.get(username);
      const r = existing && !existing.revokedAt ? await identities.rotate(username) : await identities.addDevice(ref.site, ref.device);
      await fleet.register(ref);
      await recheckSessions();
      await manifests.refresh([ref.site]);
      return { credentials: bundle(r), siteKey: await enrolments.siteKey(ref.site) };
    };
    const http = createHttpServer({
      api,
      enrol,
      identities,
      creatives,
      mayFetch: async (who, sha) => who.kind === 'operator' || (await manifests.mayFetch(who, sha)),
      metricsMode: config.http.metrics,
      registry,
      metrics,
      log,
      upgradeMqtt: wss
        ? (req, socket, head) =>
            wss.handleUpgrade(req, socket, head, (ws) => {
              const stream = createWebSocketStream(ws);
              stream.on('error', () => ws.terminate());
              accept(stream, 'ws', req);
            })
        : undefined,
    });
    const httpPort = await listen(http, config.http.port, config.http.host);
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const ws of wss?.clients ?? []) ws.terminate();
          http.close(() => resolve());
          http.closeAllConnections();
        }),
    );

    const urls = publicUrls(config, { tcp: tcp?.port ?? null, tls: tls?.port ?? null, http: httpPort });
    const bundle = (r: { identity: Identity; secret: string }) => makeBundle(r.identity, r.secret, urls, signingKey, now());

    const recheckSessions = async (): Promise<number> => {
      let closed = 0;
      for (const { client, identity, generation } of [...sessions.live()]) {
        const current = await identities.get(identity.username);
        if (!current || current.revokedAt !== null || current.generation !== generation) {
          closed++;
          metrics.sessionsRevoked.inc();
          log.warn({ clientId: client.id, username: identity.username }, 'closing connection: credential revoked or rotated');
          client.close();
        }
      }
      return closed;
    };
    const recheck = setInterval(() => {
      recheckSessions().catch((err: Error) => log.warn({ err: err.message }, 'session recheck failed; next interval tries again'));
    }, config.auth.recheckIntervalMs);
    recheck.unref();

    const running: RunningBroker = {
      config,
      mqttPort: tcp?.port ?? null,
      tlsPort: tls?.port ?? null,
      httpPort,
      urls,
      aedes,
      identities,
      fleet,
      campaigns,
      creatives,
      manifests,
      store,
      signingKey,
      market,
      metrics,
      registry,
      async addDevice(site, device) {
        const r = await identities.addDevice(site, device);
        await fleet.register({ site, device });
        await manifests.refresh([site]);
        return bundle(r);
      },
      async rotateDevice(site, device) {
        const r = await identities.rotate(deviceUsername(site, device));
        await recheckSessions();
        return bundle(r);
      },
      async revokeDevice(site, device) {
        await identities.revoke(deviceUsername(site, device));
        await recheckSessions();
        await manifests.refresh([site]);
      },
      createEnrolment: (site, device, ttlMs) => enrolments.create(site, device, ttlMs),
      async addOperator(name) {
        return bundle(await identities.addOperator(name));
      },
      sendCommand: (ref, cmd) => publish(topicFor('cmd', ref), encode('cmd', cmd), false),
      recheckSessions,
      async stop() {
        clearInterval(recheck);
        await run(cleanups);
        await Promise.allSettled([...inflight]);
        await run(storeCleanups);
      },
    };
    log.info({ mqtt: tcp?.port, mqtts: tls?.port, http: httpPort, keyId: signingKey.keyId }, 'broker started');
    return running;
  } catch (err) {
    await cleanup();
    throw err;
  }
}
