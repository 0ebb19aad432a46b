// The cloud side of the agent, assembled: credentials → uplink (outbox) → manifest → link.
import type { ManifestBody } from '@doorcast/firmware-protocol/cloud';
import type { Clock } from '../clock/clock.js';
import type { CloudConfig } from '../config/schema.js';
import type { Logger } from '../obs/log.js';
import type { Registry } from '../obs/metrics.js';
import type { Stamp } from '../store/records.js';
import { CloudLink, type CloudLinkOptions } from './cloud-link.js';
import { loadCredentials } from './credentials.js';
import { type ManifestCache, ManifestSync } from './manifest-sync.js';
import { Uplink, type UplinkOutbox } from './uplink.js';

export const AGENT_VERSION = '0.1.0';

export interface CloudDeps {
  outbox: UplinkOutbox & { depth(): number; oldestAgeMs(now: Stamp): number };
  /** Hourly door counts (CLOUD-LINK.md §5.2); absent: not sent. */
  doorCounts?: UplinkOutbox;
  cache: ManifestCache;
  clock: Clock;
  log: Logger;
  registry: Registry;
  onManifest?(m: ManifestBody): void;
  onUpdate?: CloudLinkOptions['onUpdate'];
  /** Called with the credentials before the link starts (the creative cache needs them). */
  beforeLink?(bundle: ReturnType<typeof loadCredentials>): void;
}

export interface Cloud {
  link: CloudLink;
  bundle: ReturnType<typeof loadCredentials>;
  uplink: Uplink;
  doorCountUplink: Uplink | undefined;
  manifests: ManifestSync;
  stop(): Promise<void>;
}

/** Throws CredentialsError on a missing or bad bundle (a config problem: exit 78). */
export function startCloud(c: CloudConfig, d: CloudDeps): Cloud {
  const bundle = loadCredentials(c.credentialsFile);
  d.beforeLink?.(bundle);
  const log = d.log.child({ component: 'cloud' });
  const manifests = new ManifestSync({ ref: bundle, keys: bundle.manifestKeys, cache: d.cache, log, registry: d.registry, onApplied: d.onManifest });
  manifests.start();
  let link: CloudLink | undefined;
  const uplink = new Uplink({
    ref: bundle,
    outbox: d.outbox,
    publish: (topic, payload) => link?.publish(topic, payload) ?? Promise.reject(new Error('cloud link not started')),
    log,
    registry: d.registry,
    batchRecords: c.batchRecords,
    maxInFlight: c.maxInFlight,
    ackTimeoutMs: c.ackTimeoutMs,
  });
  const doorCountUplink = d.doorCounts
    ? new Uplink({
        kind: 'door-counts',
        ref: bundle,
        outbox: d.doorCounts,
        publish: (topic, payload) => link?.publish(topic, payload) ?? Promise.reject(new Error('cloud link not started')),
        log,
        registry: d.registry,
        batchRecords: c.batchRecords,
        maxInFlight: 1,
        ackTimeoutMs: c.ackTimeoutMs,
      })
    : undefined;
  link = new CloudLink({
    bundle,
    uplinks: doorCountUplink ? [uplink, doorCountUplink] : [uplink],
    manifests,
    log,
    registry: d.registry,
    protocolVersion: c.protocolVersion,
    caFile: c.caFile,
    flushIntervalMs: c.flushIntervalMs,
    stateIntervalMs: c.stateIntervalMs,
    backoff: c.backoff,
    onUpdate: d.onUpdate,
    state: () => ({
      agentVersion: AGENT_VERSION,
      outboxDepth: d.outbox.depth(),
      oldestUnsyncedAgeS: d.outbox.oldestAgeMs(d.clock.stamp()) / 1000,
      bootId: d.clock.bootId,
    }),
  });
  link.start();
  const l = link;
  return { link: l, bundle, uplink, doorCountUplink, manifests, stop: () => l.stop() };
}
