// The marketplace in one object with a lifecycle: accounts, sites, inventory, bookings,
// uploads, the sync into manifests, and reports. The HTTP API (api/) is its only caller.
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { BrokerConfig } from '../config/schema.js';
import type { CreativeStore } from '../creatives/creative-store.js';
import { CreativeUploads, DEFAULT_UPLOAD_LIMITS, type MarketCreative } from '../creatives/uploads.js';
import type { StateDb } from '../db/state-db.js';
import type { CampaignTable } from '../manifest/campaigns.js';
import type { Logger } from '../obs/log.js';
import type { ImpressionStore } from '../store/impression-store.js';
import { AccountStore, accountOptions } from './accounts.js';
import { Bookings, type Campaign } from './booking.js';
import { CampaignSync } from './campaign-sync.js';
import { MarketError } from './errors.js';
import { Inventory } from './inventory.js';
import { buildReport, type CampaignReport } from './report.js';
import { datesBetween, localHourOf, utcSpanOf } from './site-time.js';
import { SiteStore } from './sites.js';

export interface MarketOptions {
  db: StateDb;
  store: ImpressionStore;
  campaigns: CampaignTable;
  creatives: CreativeStore;
  /** Recompiles and publishes manifests, of these sites' devices or of all (ManifestPublisher.refresh). */
  refreshManifests(sites?: readonly string[]): Promise<unknown>;
  config: BrokerConfig['market'];
  stateDir: string;
  log: Logger;
  registry?: Registry;
  now?: () => Date;
}

export class Market {
  readonly accounts: AccountStore;
  readonly sites: SiteStore;
  readonly uploads: CreativeUploads;
  readonly bookings: Bookings;
  readonly inventory: Inventory;
  readonly sync: CampaignSync;
  readonly #o: MarketOptions;
  readonly #now: () => Date;
  readonly #log: Logger;
  #sweep: NodeJS.Timeout | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  readonly #dirty = new Set<string>();
  #flushing: Promise<void> | null = null;

  constructor(o: MarketOptions) {
    this.#o = o;
    this.#now = o.now ?? (() => new Date());
    this.#log = o.log.child({ component: 'market' });
    const c = o.config;
    this.accounts = new AccountStore(o.db, accountOptions(c, this.#now));
    this.sites = new SiteStore(o.db, o.campaigns, this.#now);
    this.uploads = new CreativeUploads({
      db: o.db,
      creatives: o.creatives,
      workDir: join(o.stateDir, 'uploads'),
      limits: { ...DEFAULT_UPLOAD_LIMITS, maxBytes: c.maxUploadBytes, maxDurationMs: c.maxClipMs },
      log: o.log,
      now: this.#now,
      ...(o.registry ? { registry: o.registry } : {}),
    });
    this.bookings = new Bookings(o.db, this.sites, this.uploads, this.#now);
    this.inventory = new Inventory(o.db, this.sites, o.store, this.#now);
    this.sync = new CampaignSync(this.bookings, this.sites, o.campaigns, this.uploads, (sites) => (sites ? this.#refreshSoon(sites) : o.refreshManifests()), this.#log);
    this.uploads.onChange((cr) => this.#creativeChanged(cr));
  }

  async start(): Promise<void> {
    await this.uploads.start();
    await this.#serial(() => this.sync.syncAll());
    this.#sweep = setInterval(() => {
      this.#serial(() => this.sync.syncAll()).catch((err: Error) => this.#log.error({ err }, 'campaign sweep failed'));
    }, this.#o.config.sweepIntervalMs);
    this.#sweep.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweep);
    await this.uploads.stop();
    await this.#chain.catch(() => undefined);
    await this.idle();
  }

  /** Resolves once every booking and cancellation so far is in the published manifests. */
  async idle(): Promise<void> {
    while (this.#flushing) await this.#flushing.catch(() => undefined);
  }

  /**
   * Bookings arriving together share one manifest refresh of their sites' devices: a busy
   * hour of bookings must not recompile the whole fleet once per request.
   */
  #refreshSoon(sites: readonly string[]): Promise<void> {
    for (const s of sites) this.#dirty.add(s);
    this.#flushing ??= (async () => {
      try {
        await new Promise((r) => setImmediate(r));
        while (this.#dirty.size > 0) {
          const batch = [...this.#dirty];
          this.#dirty.clear();
          await this.#o.refreshManifests(batch);
        }
      } finally {
        this.#flushing = null;
      }
    })();
    return this.#flushing;
  }

  /** Manifest syncs one at a time, in order. */
  #serial<T>(f: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(f, f);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  /**
   * Books, and puts the campaign into the campaign table at once. The booking is durable when
   * this returns; its manifests follow within moments (idle() waits for them), and a failed
   * publish is retried by the periodic refresh.
   */
  async book(merchantId: string, input: unknown): Promise<Campaign> {
    const c = await this.bookings.book(merchantId, input);
    this.#log.info({ campaign: c.id, merchant: merchantId, slots: c.slots, priceCents: c.priceCents }, 'campaign booked');
    this.#publish(c);
    return c;
  }

  async cancel(id: string): Promise<Campaign> {
    const c = await this.bookings.cancel(id);
    this.#log.info({ campaign: id }, 'campaign cancelled');
    this.#publish(c);
    return c;
  }

  #publish(c: Campaign): void {
    this.sync.sync(c).catch((err: Error) => this.#log.error({ err, campaign: c.id }, 'manifest refresh after a booking failed; the periodic refresh retries'));
  }

  #creativeChanged(cr: MarketCreative): void {
    this.#serial(async () => {
      const affected = (await this.bookings.live()).filter((c) => c.creatives.includes(cr.id));
      for (const c of affected) {
        const now = await this.bookings.get(c.id);
        if (now) await this.sync.sync(now);
      }
    }).catch((err: Error) => this.#log.error({ err, creative: cr.id }, 'manifest sync after a creative change failed'));
  }

  /** A campaign's report over site-local dates (default: its booked dates up to today). */
  async report(campaignId: string, range: { from?: string | undefined; to?: string | undefined } = {}): Promise<CampaignReport> {
    const c = await this.bookings.get(campaignId);
    if (!c) throw new MarketError('not-found', `no campaign ${campaignId}`);
    const zones = new Map<string, string>();
    for (const s of c.sites) zones.set(s, (await this.sites.get(s))?.timezone ?? 'UTC');
    const nowMs = this.#now().getTime();
    const today = [...zones.values()].map((tz) => localHourOf(nowMs, tz).date).sort().at(-1)!;
    const from = range.from ?? c.dates.from;
    // Up to today, within the booked dates (ISO dates sort as strings).
    const to = range.to ?? [c.dates.from, [c.dates.to, today].sort()[0]!].sort()[1]!;
    if (from > to) throw new MarketError('invalid', 'to is before from', 'query.to');
    const dates = datesBetween(from, to, 366);
    // The UTC span covering those local dates in every site's zone; buildReport trims exactly.
    const span = utcSpanOf(from, to, zones.values());
    const facts = await this.#o.store.campaignFacts(campaignId, span.fromIso, span.toIso);
    return buildReport({
      campaignId,
      from,
      to,
      dates,
      minCohort: this.#o.config.minCohort,
      facts,
      timeZoneOf: (s) => zones.get(s) ?? 'UTC',
      scheduled: await this.inventory.scheduledPlays(campaignId, from, to),
    });
  }
}
