// Sites as the marketplace sees them: where they are, their doors and screens, how much paid
// share of voice a slot holds, the price per unit, and the weekly profile of expected unlocks.
import { z } from 'zod';
import { NameSchema, SiteIdSchema } from '../contract.js';
import type { StateDb } from '../db/state-db.js';
import type { CampaignTable } from '../manifest/campaigns.js';
import { LatSchema, LonSchema } from './accounts.js';
import { type DaypartId, DaypartSchema } from './dayparts.js';
import { MarketError } from './errors.js';
import { GENERIC_PROFILE, HoursSchema, type WeeklyHours } from './profile.js';
import { isTimeZone } from './site-time.js';

export const DoorSchema = z.strictObject({ id: NameSchema, name: z.string().trim().min(1).max(100), screens: z.int().min(1).max(8).default(1) });

const PricesSchema = z.partialRecord(DaypartSchema, z.int().min(0).max(100_000_000));

/** Price per unit of share of voice per slot, cents, when a site sets none. */
export const DEFAULT_PRICES: Record<DaypartId, number> = { night: 200, morning: 1500, midday: 800, afternoon: 800, evening: 1500, late: 500 };

const siteFields = {
  name: z.string().trim().min(1).max(100),
  lat: LatSchema,
  lon: LonSchema,
  timezone: z.string().refine(isTimeZone, 'an IANA time zone, e.g. Asia/Shanghai'),
  doors: z.array(DoorSchema).min(1).max(64),
  /** Paid units one slot holds: at most this many paid campaigns at one unit each. */
  capacityUnits: z.int().min(1).max(100),
  priceCents: PricesSchema,
  /** The network screen profile its screens play (uploads are transcoded to each). */
  screenProfile: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
};

export const SiteInputSchema = z
  .strictObject({ id: SiteIdSchema, ...siteFields })
  .extend({ capacityUnits: siteFields.capacityUnits.default(6), priceCents: PricesSchema.default({}), screenProfile: siteFields.screenProfile.default('gate-7in') });
export const SitePatchSchema = z.strictObject(siteFields).partial();

export const SiteSchema = z.object({
  id: z.string(),
  ...siteFields,
  doors: z.array(z.object({ id: z.string(), name: z.string(), screens: z.int() })),
  priceCents: z.record(z.string(), z.int()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Site = z.infer<typeof SiteSchema>;

interface Row {
  id: string;
  name: string;
  lat: number;
  lon: number;
  timezone: string;
  doors: string;
  capacity_units: number;
  prices: string;
  screen_profile: string;
  profile_hours: string | null;
  created_at: string;
  updated_at: string;
}

const toSite = (r: Row): Site => ({
  id: r.id,
  name: r.name,
  lat: r.lat,
  lon: r.lon,
  timezone: r.timezone,
  doors: JSON.parse(r.doors),
  capacityUnits: r.capacity_units,
  priceCents: { ...DEFAULT_PRICES, ...JSON.parse(r.prices) },
  screenProfile: r.screen_profile,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class SiteStore {
  constructor(
    readonly db: StateDb,
    readonly campaigns: CampaignTable,
    readonly now: () => Date = () => new Date(),
  ) {}

  async create(input: unknown): Promise<Site> {
    const s = SiteInputSchema.parse(input);
    const at = this.now().toISOString();
    // ON CONFLICT: two creates of one id racing get one 409, not a constraint error.
    const { changes } = await this.db.run(
      'INSERT INTO sites (id, name, lat, lon, timezone, doors, capacity_units, prices, screen_profile, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
      [s.id, s.name, s.lat, s.lon, s.timezone, JSON.stringify(s.doors), s.capacityUnits, JSON.stringify(s.priceCents), s.screenProfile, at, at],
    );
    if (changes === 0) throw new MarketError('exists', `site ${s.id} exists`, 'body.id');
    await this.#syncTimezone(s.id, s.timezone);
    return (await this.get(s.id))!;
  }

  async update(id: string, patch: unknown): Promise<Site> {
    const p = SitePatchSchema.parse(patch);
    const at = this.now().toISOString();
    await this.db.tx(async (q) => {
      // Row lock first (SQLite's BEGIN IMMEDIATE already serialises): the merge below reads the
      // row as it is now, so two operators patching different fields on two nodes both land.
      if ((await q.run('UPDATE sites SET updated_at = ? WHERE id = ?', [at, id])).changes === 0) throw new MarketError('not-found', `no site ${id}`);
      const row = (await q.get<Row>('SELECT * FROM sites WHERE id = ?', [id]))!;
      const next = { ...toSite(row), ...p };
      const prices = { ...JSON.parse(row.prices), ...p.priceCents };
      await q.run('UPDATE sites SET name = ?, lat = ?, lon = ?, timezone = ?, doors = ?, capacity_units = ?, prices = ?, screen_profile = ? WHERE id = ?', [
        next.name,
        next.lat,
        next.lon,
        next.timezone,
        JSON.stringify(next.doors),
        next.capacityUnits,
        JSON.stringify(prices),
        next.screenProfile,
        id,
      ]);
      // Slots not yet touched take the new capacity; sold ones never drop below what is sold.
      if (p.capacityUnits !== undefined) {
        await q.run('UPDATE slots SET capacity_units = CASE WHEN used_units > ? THEN used_units ELSE ? END WHERE site = ?', [p.capacityUnits, p.capacityUnits, id]);
      }
    });
    if (p.timezone) await this.#syncTimezone(id, p.timezone);
    return (await this.get(id))!;
  }

  async get(id: string): Promise<Site | null> {
    const r = await this.db.get<Row>('SELECT * FROM sites WHERE id = ?', [id]);
    return r ? toSite(r) : null;
  }

  async list(): Promise<Site[]> {
    return (await this.db.all<Row>('SELECT * FROM sites ORDER BY id')).map(toSite);
  }

  /** Names of the site's segment rules (targeting, evaluated on the device): what a campaign may target. */
  async segments(id: string): Promise<{ name: string; kind: string }[]> {
    return (await this.campaigns.site(id)).segmentRules.map((r) => ({ name: String(r.name), kind: String(r.kind) }));
  }

  /** The operator's profile, or the generic curve when none was entered. */
  async manualProfile(id: string): Promise<{ source: 'manual' | 'generic'; hours: WeeklyHours }> {
    const r = await this.db.get<{ profile_hours: string | null }>('SELECT profile_hours FROM sites WHERE id = ?', [id]);
    if (!r) throw new MarketError('not-found', `no site ${id}`);
    return r.profile_hours ? { source: 'manual', hours: HoursSchema.parse(JSON.parse(r.profile_hours)) } : { source: 'generic', hours: GENERIC_PROFILE };
  }

  async setManualProfile(id: string, input: unknown): Promise<void> {
    const { hours } = z.strictObject({ hours: HoursSchema }).parse(input);
    if ((await this.db.run('UPDATE sites SET profile_hours = ?, updated_at = ? WHERE id = ?', [JSON.stringify(hours), this.now().toISOString(), id])).changes === 0) {
      throw new MarketError('not-found', `no site ${id}`);
    }
  }

  /** The manifest's zone (quiet hours) follows the site's; consent and the rest are kept. */
  async #syncTimezone(id: string, timezone: string): Promise<void> {
    const cur = await this.campaigns.site(id);
    await this.campaigns.setSite(id, { ...cur, timezone });
  }
}
