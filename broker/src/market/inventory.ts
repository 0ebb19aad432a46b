// What there is to buy and how full it is: slot availability near a shop with estimated reach,
// fill by site × daypart, revenue booked, and the plays a booking should have delivered.
import { z } from 'zod';
import type { StateDb } from '../db/state-db.js';
import type { ImpressionStore } from '../store/impression-store.js';
import { LatSchema, LonSchema } from './accounts.js';
import { DateSchema } from './booking.js';
import { DAYPART_IDS, type DaypartId, DaypartSchema, hoursOf } from './dayparts.js';
import { MarketError } from './errors.js';
import { distanceKm } from './geo.js';
import { expectedUnlocks, learnProfile, type Profile } from './profile.js';
import { datesBetween, localHourOf, utcHoursOf } from './site-time.js';
import type { Site, SiteStore } from './sites.js';

const csvList = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',').filter(Boolean) : v), z.array(item).min(1).max(6));

export const MAX_SEARCH_DAYS = 31;
export const SearchSchema = z
  .strictObject({
    lat: z.coerce.number().pipe(LatSchema),
    lon: z.coerce.number().pipe(LonSchema),
    radiusKm: z.coerce.number().min(0.1).max(100).default(5),
    dayparts: csvList(DaypartSchema).optional(),
    from: DateSchema,
    to: DateSchema,
    units: z.coerce.number().int().min(1).max(100).default(1),
  })
  .superRefine((q, ctx) => {
    if (q.from > q.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'to is before from' });
    else if (datesBetween(q.from, q.to, 10_000).length > MAX_SEARCH_DAYS) ctx.addIssue({ code: 'custom', path: ['to'], message: `at most ${MAX_SEARCH_DAYS} days` });
  });
export type SearchQuery = z.infer<typeof SearchSchema>;

export const RangeSchema = z
  .strictObject({ from: DateSchema, to: DateSchema })
  .refine((r) => r.from <= r.to, { path: ['to'], message: 'to is before from' })
  .refine((r) => datesBetween(r.from, r.to, 10_000).length <= 366, { path: ['to'], message: 'at most 366 days' });

export interface SlotOffer {
  date: string;
  daypart: DaypartId;
  capacityUnits: number;
  usedUnits: number;
  availableUnits: number;
  priceCents: number;
  /** Granted unlocks the site's profile expects in this slot. */
  expectedUnlocks: number;
  /** expectedUnlocks × units / capacity: the plays the requested units should get. */
  estimatedReach: number;
  /** Distinct consenting residents who passed in this daypart over the last 28 days; null if none known. */
  estimatedResidents: number | null;
}

const PROFILE_TTL_MS = 10 * 60_000;
const LOOKBACK_DAYS = 28;

export class Inventory {
  readonly #profiles = new Map<string, { at: number; p: Profile }>();
  readonly #residents = new Map<string, { at: number; n: number }>();

  constructor(
    readonly db: StateDb,
    readonly sites: SiteStore,
    readonly store: ImpressionStore,
    readonly now: () => Date = () => new Date(),
  ) {}

  /** Learned from door counts once there are enough; else the manual or generic profile. Cached. */
  async profile(site: Site): Promise<Profile> {
    const hit = this.#profiles.get(site.id);
    const nowMs = this.now().getTime();
    if (hit && nowMs - hit.at < PROFILE_TTL_MS) return hit.p;
    const to = new Date(nowMs).toISOString();
    const from = new Date(nowMs - LOOKBACK_DAYS * 86_400_000).toISOString();
    const learned = learnProfile(await this.store.doorCountHours(site.id, from, to), site.timezone);
    const manual = await this.sites.manualProfile(site.id);
    const p: Profile = learned ?? { source: manual.source, days: 0, hours: manual.hours };
    this.#profiles.set(site.id, { at: nowMs, p });
    return p;
  }

  forgetProfile(siteId: string): void {
    this.#profiles.delete(siteId);
  }

  async #residentsIn(site: Site, dp: DaypartId): Promise<number | null> {
    const k = `${site.id}|${dp}`;
    const nowMs = this.now().getTime();
    const hit = this.#residents.get(k);
    if (hit && nowMs - hit.at < PROFILE_TTL_MS) return hit.n || null;
    // Daypart hours in UTC at today's offset; a DST change shifts at most one hour of a month.
    const utcHours = utcHoursOf(hoursOf(dp), site.timezone, nowMs);
    const n = await this.store.countResidents(site.id, new Date(nowMs - LOOKBACK_DAYS * 86_400_000).toISOString(), new Date(nowMs).toISOString(), utcHours);
    this.#residents.set(k, { at: nowMs, n });
    return n || null;
  }

  /** Sites within the radius, nearest first (at most 50), with every slot of the range. */
  async search(input: unknown): Promise<{ site: Site; distanceKm: number; slots: SlotOffer[] }[]> {
    const q = SearchSchema.parse(input);
    const dayparts = q.dayparts ?? DAYPART_IDS;
    const dates = datesBetween(q.from, q.to);
    const near = (await this.sites.list())
      .map((site) => ({ site, distanceKm: Math.round(distanceKm(q, site) * 100) / 100 }))
      .filter((s) => s.distanceKm <= q.radiusKm)
      .sort((a, b) => a.distanceKm - b.distanceKm || a.site.id.localeCompare(b.site.id))
      .slice(0, 50);
    const out = [];
    for (const { site, distanceKm: d } of near) {
      const profile = await this.profile(site);
      const used = await this.db.all<{ date: string; daypart: DaypartId; capacity_units: number; used_units: number }>(
        'SELECT date, daypart, capacity_units, used_units FROM slots WHERE site = ? AND date >= ? AND date <= ?',
        [site.id, q.from, q.to],
      );
      const rows = new Map(used.map((r) => [`${r.date}|${r.daypart}`, r]));
      const residents = new Map<DaypartId, number | null>();
      for (const dp of dayparts) residents.set(dp, await this.#residentsIn(site, dp));
      const slots: SlotOffer[] = [];
      for (const date of dates) {
        for (const dp of dayparts) {
          const r = rows.get(`${date}|${dp}`);
          const capacityUnits = r?.capacity_units ?? site.capacityUnits;
          const usedUnits = r?.used_units ?? 0;
          const expected = expectedUnlocks(profile.hours, date, hoursOf(dp));
          slots.push({
            date,
            daypart: dp,
            capacityUnits,
            usedUnits,
            availableUnits: capacityUnits - usedUnits,
            priceCents: (site.priceCents[dp] ?? 0) * q.units,
            expectedUnlocks: Math.round(expected),
            estimatedReach: Math.round((expected * Math.min(q.units, capacityUnits)) / capacityUnits),
            estimatedResidents: residents.get(dp) ?? null,
          });
        }
      }
      out.push({ site, distanceKm: d, slots });
    }
    return out;
  }

  /** Sold units over capacity, by site × daypart, over the dates of the range. */
  async fill(input: unknown): Promise<{ site: string; daypart: DaypartId; capacityUnits: number; usedUnits: number; fill: number }[]> {
    const r = RangeSchema.parse(input);
    const days = datesBetween(r.from, r.to, 366).length;
    const sold = await this.db.all<{ site: string; daypart: DaypartId; cap: number; used: number; n: number }>(
      'SELECT site, daypart, sum(capacity_units) AS cap, sum(used_units) AS used, count(*) AS n FROM slots WHERE date >= ? AND date <= ? GROUP BY site, daypart',
      [r.from, r.to],
    );
    const bySlot = new Map(sold.map((x) => [`${x.site}|${x.daypart}`, x]));
    const out = [];
    for (const site of await this.sites.list()) {
      for (const dp of DAYPART_IDS) {
        const x = bySlot.get(`${site.id}|${dp}`);
        // Slots never touched have the site's capacity and nothing sold.
        const capacityUnits = (x?.cap ?? 0) + (days - (x?.n ?? 0)) * site.capacityUnits;
        const usedUnits = x?.used ?? 0;
        out.push({ site: site.id, daypart: dp, capacityUnits, usedUnits, fill: capacityUnits ? Math.round((usedUnits / capacityUnits) * 10_000) / 10_000 : 0 });
      }
    }
    return out;
  }

  /** Booked (not released) revenue by site × daypart, slots dated in the range. */
  async revenue(input: unknown): Promise<{ totalCents: number; items: { site: string; daypart: DaypartId; cents: number }[] }> {
    const r = RangeSchema.parse(input);
    const items = await this.db.all<{ site: string; daypart: DaypartId; cents: number }>(
      'SELECT site, daypart, sum(price_cents) AS cents FROM bookings WHERE released_at IS NULL AND date >= ? AND date <= ? GROUP BY site, daypart ORDER BY site, daypart',
      [r.from, r.to],
    );
    return { totalCents: items.reduce((n, i) => n + i.cents, 0), items };
  }

  /**
   * Plays the campaign's booked slots should have delivered by now within [from, to]: each
   * started slot's expected unlocks (elapsed hours only) × its units / capacity. An estimate.
   */
  async scheduledPlays(campaignId: string, from: string, to: string): Promise<number> {
    // Ordered, so the floating-point sum comes out the same on either engine.
    const rows = await this.db.all<{ site: string; date: string; daypart: DaypartId; units: number; capacity_units: number }>(
      `SELECT b.site, b.date, b.daypart, b.units, s.capacity_units FROM bookings b JOIN slots s ON s.site = b.site AND s.date = b.date AND s.daypart = b.daypart
       WHERE b.campaign_id = ? AND b.released_at IS NULL AND b.date >= ? AND b.date <= ? ORDER BY b.site, b.date, b.daypart`,
      [campaignId, from, to],
    );
    let total = 0;
    const nowMs = this.now().getTime();
    // Looked up once per site: a long campaign has tens of thousands of slot rows.
    const perSite = new Map<string, { local: { date: string; hour: number }; profile: Profile } | null>();
    for (const r of rows) {
      let s = perSite.get(r.site);
      if (s === undefined) {
        const site = await this.sites.get(r.site);
        s = site ? { local: localHourOf(nowMs, site.timezone), profile: await this.profile(site) } : null;
        perSite.set(r.site, s);
      }
      if (!s) continue;
      const { local } = s;
      if (r.date > local.date) continue;
      const hours = hoursOf(r.daypart).filter((h) => r.date < local.date || h < local.hour);
      total += (expectedUnlocks(s.profile.hours, r.date, hours) * r.units) / r.capacity_units;
    }
    return total;
  }

  async requireSite(id: string): Promise<Site> {
    const s = await this.sites.get(id);
    if (!s) throw new MarketError('not-found', `no site ${id}`);
    return s;
  }
}
