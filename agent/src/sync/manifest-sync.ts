// The manifest down (CLOUD-LINK.md §6): verified (signature, schema, site/device binding,
// version strictly increasing), applied atomically, kept across restarts. A bad manifest is
// rejected with its reason and changes nothing; the last good one keeps running.
import { type DeviceRef, type ManifestBody, type ManifestPublicKeys, verifyManifest } from '@doorcast/firmware-protocol/cloud';
import type { Logger } from '../obs/log.js';
import { Counter, Gauge, metric, type Registry } from '../obs/metrics.js';
import type { CachedManifest } from '../store/records.js';

export interface ManifestCache {
  manifest(): CachedManifest | undefined;
  saveManifest(m: CachedManifest): void;
}

export type ManifestOutcome = { status: 'applied'; version: number } | { status: 'unchanged'; version: number } | { status: 'rejected'; reason: string; path: string; message: string };

export interface ManifestSyncOptions {
  ref: DeviceRef;
  keys: ManifestPublicKeys;
  cache: ManifestCache;
  log: Logger;
  registry: Registry;
  /** Told about every manifest that becomes current (at start, from the cache, too). */
  onApplied?(m: ManifestBody): void;
  now?: () => number;
}

export class ManifestSync {
  readonly #o: ManifestSyncOptions;
  readonly #rejected;
  readonly #version;
  #current: { body: ManifestBody; text: string } | undefined;

  constructor(o: ManifestSyncOptions) {
    this.#o = o;
    this.#rejected = metric(o.registry, 'doorcast_manifest_rejected_total', (registers) => new Counter({ name: 'doorcast_manifest_rejected_total', help: 'Manifests refused, by reason', labelNames: ['reason'], registers }));
    this.#version = metric(o.registry, 'doorcast_manifest_version', (registers) => new Gauge({ name: 'doorcast_manifest_version', help: 'Version of the manifest in use (0: none yet)', registers }));
  }

  get version(): number {
    return this.#current?.body.version ?? 0;
  }

  get current(): ManifestBody | undefined {
    return this.#current?.body;
  }

  /** Loads the last good manifest, re-verified: a file edited on disk is not trusted. */
  start(): void {
    const cached = this.#o.cache.manifest();
    if (!cached) return;
    const envelope = JSON.stringify({ body: cached.body, signature: cached.signature, keyId: cached.keyId });
    const r = verifyManifest(envelope, this.#o.keys, this.#o.ref);
    if (!r.ok) {
      this.#rejected.inc({ reason: `cached-${r.reason}` });
      this.#o.log.error({ reason: r.reason, path: r.path, message: r.message }, 'cached manifest does not verify; waiting for the cloud');
      return;
    }
    this.#use(r.manifest, cached.body);
  }

  /** A payload from the manifest topic. Never throws. */
  receive(payload: Buffer): ManifestOutcome {
    // An empty retained payload clears the topic (revocation); keep running what we have.
    if (payload.length === 0) return { status: 'unchanged', version: this.version };
    const r = verifyManifest(payload, this.#o.keys, { ...this.#o.ref, currentVersion: this.#current ? this.version : undefined });
    if (!r.ok) {
      // The retained manifest comes again on every reconnect: the same one is not an attack.
      if (r.reason === 'rollback' && this.#sameAsCurrent(payload)) return { status: 'unchanged', version: this.version };
      this.#rejected.inc({ reason: r.reason });
      this.#o.log.warn({ reason: r.reason, path: r.path, message: r.message, running: this.version }, 'manifest rejected; keeping the last good one');
      return { status: 'rejected', reason: r.reason, path: r.path, message: r.message };
    }
    const env = JSON.parse(payload.toString('utf8')) as { body: string; signature: string; keyId: string };
    try {
      this.#o.cache.saveManifest({ version: r.manifest.version, body: env.body, signature: env.signature, keyId: env.keyId, appliedMs: (this.#o.now ?? Date.now)() });
    } catch (err) {
      // Not applied unless it survives a restart: the retained copy comes back on reconnect.
      this.#rejected.inc({ reason: 'store' });
      this.#o.log.error({ err: (err as Error).message }, 'cannot save the manifest; not applied');
      return { status: 'rejected', reason: 'store', path: '', message: (err as Error).message };
    }
    this.#use(r.manifest, env.body);
    this.#o.log.info({ version: r.manifest.version, campaigns: r.manifest.campaignSet.campaigns.length, creatives: r.manifest.creatives.length }, 'manifest applied');
    return { status: 'applied', version: r.manifest.version };
  }

  #sameAsCurrent(payload: Buffer): boolean {
    try {
      return (JSON.parse(payload.toString('utf8')) as { body?: unknown }).body === this.#current?.text;
    } catch {
      return false;
    }
  }

  #use(body: ManifestBody, text: string): void {
    this.#current = { body, text };
    this.#version.set(body.version);
    try {
      this.#o.onApplied?.(body);
    } catch (err) {
      this.#o.log.error({ err: (err as Error).message }, 'manifest consumer failed');
    }
  }
}
