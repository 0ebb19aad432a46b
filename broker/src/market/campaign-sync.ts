// Booked campaigns flow into the manifests: each live campaign becomes, per site, one row of
// the campaign table in the targeting schema (agent/src/targeting/campaign.ts); cancelled or
// ended ones leave it. The manifest publisher does the rest (CLOUD-LINK.md §6).
import type { CampaignTable } from '../manifest/campaigns.js';
import type { Logger } from '../obs/log.js';
import type { Bookings, Campaign } from './booking.js';
import { daypartWindow } from './dayparts.js';
import type { SiteStore } from './sites.js';

export interface RenditionLookup {
  get(id: string): Promise<{ id: string; status: 'processing' | 'ready' | 'rejected'; renditions: readonly { profile: string; sha256: string; durationMs: number }[] } | null>;
}

/** The campaign-table row id of a market campaign at one site. */
export const tableId = (campaignId: string, site: string) => `mkt:${campaignId}:${site}`;

/** The targeting campaign for one site, or null while a creative is not ready. */
export async function targetingCampaign(c: Campaign, site: { id: string; screenProfile: string }, creatives: RenditionLookup): Promise<{ body: Record<string, unknown>; shas: string[] } | null> {
  const list = [];
  for (const id of c.creatives) {
    const cr = await creatives.get(id);
    if (cr?.status !== 'ready' || cr.renditions.length === 0) return null;
    // The rendition for the site's screens; the first one if the network lacks that profile.
    const r = cr.renditions.find((x) => x.profile === site.screenProfile) ?? cr.renditions[0]!;
    list.push({ id: cr.id, sha256: r.sha256, durationMs: Math.max(500, Math.min(120_000, r.durationMs)), firstSecondsMs: Math.min(2000, r.durationMs) });
  }
  const body: Record<string, unknown> = {
    id: c.id,
    tier: 'paid',
    share: c.units,
    dates: c.dates,
    dayparts: c.dayparts.map(daypartWindow),
    scope: { sites: [site.id] },
    caps: c.caps ?? {},
    creatives: list,
  };
  if (c.days) body.days = c.days;
  if (c.segments) body.segments = c.segments;
  return { body, shas: list.map((x) => x.sha256) };
}

export class CampaignSync {
  constructor(
    readonly bookings: Bookings,
    readonly sites: SiteStore,
    readonly table: CampaignTable,
    readonly creatives: RenditionLookup,
    /** Republishes manifests: of these sites' devices, or of every device. */
    readonly refresh: (sites?: readonly string[]) => Promise<unknown>,
    readonly log: Logger,
  ) {}

  /** Writes one campaign's rows (or removes them); true when the table changed. */
  async apply(c: Campaign): Promise<boolean> {
    let changed = false;
    for (const siteId of c.sites) {
      const id = tableId(c.id, siteId);
      const site = await this.sites.get(siteId);
      const t = site && (c.status === 'active' || c.status === 'booked') ? await targetingCampaign(c, site, this.creatives) : null;
      if (t) {
        await this.table.upsert({ id, site: siteId, campaign: t.body, creatives: t.shas });
        changed = true;
      } else if (await this.table.remove(id)) changed = true;
    }
    return changed;
  }

  /** Applies one campaign and republishes its sites' manifests. */
  async sync(c: Campaign): Promise<void> {
    if (await this.apply(c)) await this.refresh(c.sites);
  }

  /** Every live campaign, plus removal of those that ended since; republishes once. */
  async syncAll(): Promise<void> {
    let changed = false;
    const campaigns = await this.bookings.live();
    for (const c of campaigns) changed = (await this.apply(c)) || changed;
    const live = new Set(campaigns.flatMap((c) => c.sites.map((s) => tableId(c.id, s))));
    const stale = await this.table.db.all<{ id: string }>("SELECT id FROM campaigns WHERE id LIKE 'mkt:%' ORDER BY id");
    for (const { id } of stale) {
      if (!live.has(id)) changed = (await this.table.remove(id)) || changed;
    }
    if (changed) await this.refresh();
    this.log.debug({ changed }, 'market campaigns synced to the campaign table');
  }
}
