// Compiles, signs and publishes each device's manifest, retained, on its manifest topic; a
// change of content publishes version + 1. CLOUD-LINK.md §6.5
import { createHash } from 'node:crypto';
import type { IdentityStore } from '../auth/identities.js';
import {
  canonicalJson,
  type DeviceRef,
  encodeManifestEnvelope,
  type ManifestBody,
  type ManifestEnvelope,
  signManifest,
  topicFor,
} from '../contract.js';
import type { CreativeStore } from '../creatives/creative-store.js';
import type { StateDb } from '../db/state-db.js';
import type { Logger } from '../obs/log.js';
import type { BrokerMetrics } from '../obs/metrics.js';
import type { Campaign, CampaignTable, SiteSettings } from './campaigns.js';
import { compileManifest } from './compile.js';
import type { SigningKey } from './signing-key.js';

export interface ManifestPublisherOptions {
  db: StateDb;
  identities: IdentityStore;
  campaigns: CampaignTable;
  creatives: CreativeStore;
  key: SigningKey;
  /** Publishes on the broker (QoS 1); an empty retained payload clears the topic. */
  publish(topic: string, payload: Buffer, retain: boolean): Promise<void>;
  defaultTimezone: string;
  refreshIntervalMs: number;
  metrics: BrokerMetrics;
  log: Logger;
  now?: () => Date;
}

export interface PublishedManifest {
  version: number;
  envelope: ManifestEnvelope;
  creatives: ReadonlySet<string>;
}

interface Row {
  site: string;
  device: string;
  version: number;
  content_sha256: string;
  envelope: string;
}

interface SiteInputs {
  campaigns: Campaign[];
  settings: SiteSettings;
  bytes: Map<string, number | null>;
}

const key = (r: DeviceRef) => `${r.site}/${r.device}`;

export class ManifestPublisher {
  readonly #o: ManifestPublisherOptions;
  readonly #now: () => Date;
  readonly #current = new Map<string, PublishedManifest & { contentSha256: string }>();
  readonly #cleared = new Set<string>();
  #chain: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(o: ManifestPublisherOptions) {
    this.#o = o;
    this.#now = o.now ?? (() => new Date());
  }

  #get(ref: DeviceRef): Promise<Row | undefined> {
    return this.#o.db.get<Row>('SELECT * FROM manifests WHERE site = ? AND device = ?', [ref.site, ref.device]);
  }

  /**
   * Compare-and-set on the version: another node sharing this state db may publish between
   * our read and write; then nothing is written here (false) and we look again.
   */
  async #put(ref: DeviceRef, version: number, contentSha256: string, envelope: string, issuedAt: string): Promise<boolean> {
    const r = await this.#o.db.run(
      `INSERT INTO manifests (site, device, version, content_sha256, envelope, issued_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (site, device) DO UPDATE SET version = excluded.version, content_sha256 = excluded.content_sha256,
         envelope = excluded.envelope, issued_at = excluded.issued_at
       WHERE manifests.version = excluded.version - 1`,
      [ref.site, ref.device, version, contentSha256, envelope, issuedAt],
    );
    return r.changes > 0;
  }

  /** Re-publishes every stored manifest (retained state does not survive a restart), then refreshes. */
  async start(): Promise<void> {
    for (const r of await this.#o.identities.list('device')) {
      if (r.identity.kind !== 'device' || r.revokedAt !== null) continue;
      const row = await this.#get(r.identity);
      if (row) {
        this.#remember(r.identity, row.version, row.content_sha256, JSON.parse(row.envelope) as ManifestEnvelope);
        await this.#o.publish(topicFor('manifest', r.identity), Buffer.from(row.envelope), true);
      }
    }
    await this.refresh();
    this.#timer = setInterval(() => {
      this.refresh().catch((err: Error) => this.#o.log.error({ err }, 'manifest refresh failed'));
    }, this.#o.refreshIntervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#chain.catch(() => undefined);
  }

  /**
   * Recompiles every device (or only those of `sites`); publishes those whose content
   * changed. Returns what it published.
   */
  refresh(sites?: Iterable<string>): Promise<DeviceRef[]> {
    const only = sites ? new Set(sites) : null;
    return this.#serial(async () => {
      const changed: DeviceRef[] = [];
      const inputs = new Map<string, Promise<SiteInputs>>();
      for (const r of await this.#o.identities.list('device')) {
        if (r.identity.kind !== 'device' || (only && !only.has(r.identity.site))) continue;
        const ref = { site: r.identity.site, device: r.identity.device };
        // One device's failure (a manifest over the size limit) must not starve the rest.
        try {
          if (r.revokedAt !== null) await this.#clear(ref);
          else if (await this.#refreshOne(ref, inputs)) changed.push(ref);
        } catch (err) {
          this.#o.log.error({ site: ref.site, device: ref.device, err: (err as Error).message }, 'manifest not published for this device; the others go on');
        }
      }
      return changed;
    });
  }

  /** The manifest last published for a device. */
  current(ref: DeviceRef): PublishedManifest | null {
    return this.#current.get(key(ref)) ?? null;
  }

  /**
   * A device may fetch the creatives its current manifest lists. On a miss the stored row is
   * read: with several nodes, the device's newest manifest may have been published by another
   * node, and this one must not refuse what it lists until its own next refresh.
   */
  async mayFetch(ref: DeviceRef, sha256: string): Promise<boolean> {
    const known = this.#current.get(key(ref));
    if (known?.creatives.has(sha256)) return true;
    if (this.#cleared.has(key(ref))) return false;
    const row = await this.#get(ref);
    if (!row || row.version <= (known?.version ?? 0)) return false;
    this.#remember(ref, row.version, row.content_sha256, JSON.parse(row.envelope) as ManifestEnvelope);
    return this.#current.get(key(ref))!.creatives.has(sha256);
  }

  #serial<T>(f: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(f, f);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  /** What a site's manifests compile from; compiling is pure, so creative sizes are read first. */
  async #siteInputs(site: string): Promise<SiteInputs> {
    const campaigns = await this.#o.campaigns.forSite(site);
    const settings = await this.#o.campaigns.site(site);
    const bytes = new Map<string, number | null>();
    for (const sha of new Set(campaigns.flatMap((c) => c.creatives))) bytes.set(sha, (await this.#o.creatives.stat(sha))?.bytes ?? null);
    return { campaigns, settings, bytes };
  }

  /** `sites`: inputs already read in this refresh, shared by a site's devices. */
  async #refreshOne(ref: DeviceRef, sites: Map<string, Promise<SiteInputs>>, attempt = 0): Promise<boolean> {
    this.#cleared.delete(key(ref));
    const o = this.#o;
    let inputs = sites.get(ref.site);
    if (!inputs) {
      inputs = this.#siteInputs(ref.site);
      sites.set(ref.site, inputs);
    }
    const { campaigns, settings, bytes } = await inputs;
    const { content, skipped } = compileManifest({
      ref,
      campaigns,
      site: settings,
      defaultTimezone: o.defaultTimezone,
      creativeBytes: (sha) => bytes.get(sha) ?? null,
    });
    const contentSha256 = createHash('sha256').update(canonicalJson(content)).digest('hex');
    const row = await this.#get(ref);
    if (row?.content_sha256 === contentSha256) {
      const known = this.#current.get(key(ref));
      // Another node may have published this content (a later version): adopt it, or this
      // node would refuse the device the creatives it lists (mayFetch).
      if (known?.version !== row.version) this.#remember(ref, row.version, contentSha256, JSON.parse(row.envelope) as ManifestEnvelope);
      // Retained state does not survive an embedded restart; another node's publish already reached devices.
      if (!known) await o.publish(topicFor('manifest', ref), Buffer.from(row.envelope), true);
      return false;
    }
    for (const s of skipped) {
      o.metrics.manifestCampaignsSkipped.inc({ reason: s.reason });
      o.log.warn({ ...ref, campaignId: s.campaignId, reason: s.reason }, 'campaign left out of manifest');
    }
    const version = (row?.version ?? 0) + 1;
    const body: ManifestBody = { ...content, version, issuedAt: this.#now().toISOString() };
    const envelope = signManifest(body, o.key.privateKey, o.key.keyId);
    const payload = encodeManifestEnvelope(envelope);
    // Stored before published: a restart never re-issues a version number.
    if (!(await this.#put(ref, version, contentSha256, payload.toString(), body.issuedAt))) {
      // Another node took this version first; its manifest (maybe ours by content) stands.
      if (attempt >= 3) throw new Error(`manifest version ${version} for ${key(ref)} keeps being taken by another node`);
      this.#current.delete(key(ref));
      return this.#refreshOne(ref, sites, attempt + 1);
    }
    this.#remember(ref, version, contentSha256, envelope);
    await o.publish(topicFor('manifest', ref), payload, true);
    o.metrics.manifestsPublished.inc();
    o.log.info({ ...ref, version, campaigns: content.campaignSet.campaigns.length }, 'manifest published');
    return true;
  }

  /** A revoked device loses its retained manifest (the row stays, so versions keep rising). */
  async #clear(ref: DeviceRef): Promise<void> {
    if (this.#cleared.has(key(ref))) return;
    this.#cleared.add(key(ref));
    this.#current.delete(key(ref));
    await this.#o.publish(topicFor('manifest', ref), Buffer.alloc(0), true);
  }

  #remember(ref: DeviceRef, version: number, contentSha256: string, envelope: ManifestEnvelope): void {
    const body = JSON.parse(envelope.body) as ManifestBody;
    this.#current.set(key(ref), { version, envelope, contentSha256, creatives: new Set(body.creatives.map((c) => c.sha256)) });
  }
}
