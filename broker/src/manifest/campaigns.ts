// The minimal campaign table and per-site settings the manifests are compiled from. The
// campaign object itself belongs to the agent's targeting schema; here it is opaque.
import { z } from 'zod';
import { PseudonymSchema, QuietWindowSchema, Sha256Schema, SiteIdSchema } from '../contract.js';
import type { StateDb } from '../db/state-db.js';

export const CampaignInputSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'campaign id: 1–128 of A–Z a–z 0–9 . _ : -'),
  /** A site id, or '*' for every site. */
  site: z.union([SiteIdSchema, z.literal('*')]),
  /** Carried into the manifest's campaignSet.campaigns as is. */
  campaign: z.looseObject({}),
  /** The creatives it plays; a campaign whose creatives are not all hosted is left out. */
  creatives: z.array(Sha256Schema).min(1).max(100),
  active: z.boolean().default(true),
});
export type CampaignInput = z.input<typeof CampaignInputSchema>;
export type Campaign = z.infer<typeof CampaignInputSchema> & { updatedAt: string };

export const SiteSettingsSchema = z.strictObject({
  timezone: z.string().min(1).max(64).optional(),
  segmentRules: z.array(z.looseObject({})).default([]),
  consent: z.array(PseudonymSchema).default([]),
  optOuts: z.array(PseudonymSchema).default([]),
  quietHours: z.array(QuietWindowSchema).default([]),
});
export type SiteSettingsInput = z.input<typeof SiteSettingsSchema>;
export type SiteSettings = z.infer<typeof SiteSettingsSchema>;

type CampaignRow = { id: string; site: string; body: string; creatives: string; active: number; updated_at: string };
type SiteRow = { timezone: string | null; segment_rules: string; consent: string; opt_outs: string; quiet_hours: string };

export class CampaignTable {
  constructor(
    readonly db: StateDb,
    readonly now: () => Date = () => new Date(),
  ) {}

  /** Validates (throws ZodError with paths) and stores a campaign. */
  async upsert(input: CampaignInput | unknown): Promise<Campaign> {
    const c = CampaignInputSchema.parse(input);
    const updatedAt = this.now().toISOString();
    await this.db.run(
      `INSERT INTO campaigns (id, site, body, creatives, active, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET site = excluded.site, body = excluded.body, creatives = excluded.creatives, active = excluded.active, updated_at = excluded.updated_at`,
      [c.id, c.site, JSON.stringify(c.campaign), JSON.stringify(c.creatives), c.active ? 1 : 0, updatedAt],
    );
    return { ...c, updatedAt };
  }

  async remove(id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM campaigns WHERE id = ?', [id])).changes > 0;
  }

  /** Active campaigns for a site (its own and the '*' ones), by id. */
  async forSite(site: string): Promise<Campaign[]> {
    const rows = await this.db.all<CampaignRow>(`SELECT * FROM campaigns WHERE active = 1 AND (site = ? OR site = '*') ORDER BY id`, [site]);
    return rows.map((r) => ({
      id: r.id,
      site: r.site,
      campaign: JSON.parse(r.body) as Record<string, unknown>,
      creatives: JSON.parse(r.creatives) as string[],
      active: r.active === 1,
      updatedAt: r.updated_at,
    }));
  }

  async setSite(site: string, input: SiteSettingsInput | unknown): Promise<SiteSettings> {
    SiteIdSchema.parse(site);
    const s = SiteSettingsSchema.parse(input);
    await this.db.run(
      `INSERT INTO site_settings (site, timezone, segment_rules, consent, opt_outs, quiet_hours, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (site) DO UPDATE SET timezone = excluded.timezone, segment_rules = excluded.segment_rules, consent = excluded.consent,
         opt_outs = excluded.opt_outs, quiet_hours = excluded.quiet_hours, updated_at = excluded.updated_at`,
      [site, s.timezone ?? null, JSON.stringify(s.segmentRules), JSON.stringify(s.consent), JSON.stringify(s.optOuts), JSON.stringify(s.quietHours), this.now().toISOString()],
    );
    return s;
  }

  async site(site: string): Promise<SiteSettings> {
    const r = await this.db.get<SiteRow>('SELECT * FROM site_settings WHERE site = ?', [site]);
    if (!r) return SiteSettingsSchema.parse({});
    return SiteSettingsSchema.parse({
      timezone: r.timezone ?? undefined,
      segmentRules: JSON.parse(r.segment_rules),
      consent: JSON.parse(r.consent),
      optOuts: JSON.parse(r.opt_outs),
      quietHours: JSON.parse(r.quiet_hours),
    });
  }
}
