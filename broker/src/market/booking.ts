// Booking slots as one transaction: every slot of the request gets its units, or none does.
// The capacity check is a conditional UPDATE and the table has a CHECK besides, so two
// bookings racing for the last unit (in one process or several) never oversell.
import { z } from 'zod';
import { NameSchema, SiteIdSchema } from '../contract.js';
import type { Db } from '../db/database.js';
import { newId } from './accounts.js';
import { type DaypartId, DaypartSchema } from './dayparts.js';
import { MarketError } from './errors.js';
import { datesBetween, localHourOf, weekdayOf } from './site-time.js';
import type { SiteStore } from './sites.js';

export const DateSchema = z.iso.date();
export const CreativeIdSchema = z.string().regex(/^cr_[0-9a-f]{20}$/, 'a creative id (cr_…)');
export const MAX_BOOKING_DAYS = 92;
export const MAX_BOOKING_SLOTS = 5000;

export const BookingSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    sites: z.array(SiteIdSchema).min(1).max(50),
    dayparts: z.array(DaypartSchema).min(1).max(6),
    dates: z.strictObject({ from: DateSchema, to: DateSchema }),
    /** Site-local days of the week, 0 = Sunday; absent: every day. */
    days: z.array(z.int().min(0).max(6)).min(1).max(7).optional(),
    /** Units of share of voice in every slot (a slot holds the site's capacityUnits). */
    units: z.int().min(1).max(100).default(1),
    creatives: z.array(CreativeIdSchema).min(1).max(8),
    /** Personalised: only consenting residents in these segments (targeting segment names). */
    segments: z.array(NameSchema).min(1).max(16).optional(),
    caps: z.strictObject({ perDay: z.int().min(1).max(100).optional(), perWeek: z.int().min(1).max(700).optional() }).optional(),
    /** Operators book on a merchant's behalf. */
    merchantId: z.string().min(1).max(64).optional(),
  })
  .superRefine((b, ctx) => {
    if (b.dates.from > b.dates.to) ctx.addIssue({ code: 'custom', path: ['dates', 'to'], message: 'dates.to is before dates.from' });
    else if (datesBetween(b.dates.from, b.dates.to, 10_000).length > MAX_BOOKING_DAYS) ctx.addIssue({ code: 'custom', path: ['dates', 'to'], message: `at most ${MAX_BOOKING_DAYS} days` });
    for (const [field, list] of [['sites', b.sites], ['dayparts', b.dayparts], ['creatives', b.creatives]] as const) {
      if (new Set<string>(list).size !== list.length) ctx.addIssue({ code: 'custom', path: [field], message: `${field} repeats an entry` });
    }
  });
export type Booking = z.infer<typeof BookingSchema>;

export type CampaignStatus = 'booked' | 'active' | 'cancelled' | 'ended';

export interface Campaign extends Omit<Booking, 'merchantId'> {
  id: string;
  merchantId: string;
  status: CampaignStatus;
  priceCents: number;
  slots: number;
  createdAt: string;
  cancelledAt: string | null;
}

export interface BookedSlot {
  site: string;
  date: string;
  daypart: DaypartId;
  units: number;
  priceCents: number;
  released: boolean;
}

/** What booking needs to know of an uploaded creative. */
export interface CreativeLookup {
  get(id: string): { id: string; merchantId: string; status: 'processing' | 'ready' | 'rejected' } | null;
}

export interface FullSlot {
  site: string;
  date: string;
  daypart: DaypartId;
  availableUnits: number;
}

interface Row {
  id: string;
  merchant_id: string;
  name: string;
  status: 'booked' | 'cancelled';
  spec: string;
  price_cents: number;
  created_at: string;
  cancelled_at: string | null;
  slots: number;
}

const SELECT = 'SELECT c.*, (SELECT count(*) FROM bookings b WHERE b.campaign_id = c.id) AS slots FROM market_campaigns c';

export class Bookings {
  constructor(
    readonly db: Db,
    readonly sites: SiteStore,
    readonly creatives: CreativeLookup,
    readonly now: () => Date = () => new Date(),
  ) {}

  #today(timezone: string): string {
    return localHourOf(this.now().getTime(), timezone).date;
  }

  /** Books every slot or none: MarketError('conflict') lists the slots short of capacity. */
  book(merchantId: string, input: unknown): Campaign {
    const b = BookingSchema.parse(input);
    const sites = b.sites.map((id, i) => {
      const s = this.sites.get(id);
      if (!s) throw new MarketError('invalid', `no site ${id}`, `body.sites.${i}`);
      if (b.dates.from < this.#today(s.timezone)) throw new MarketError('invalid', `dates.from ${b.dates.from} is in the past at ${id}`, 'body.dates.from');
      return s;
    });
    // A segment no booked site defines would never match anyone: the campaign could not play.
    const defined = b.segments ? new Map(sites.map((s) => [s.id, new Set(this.sites.segments(s.id).map((r) => r.name))])) : null;
    b.segments?.forEach((name, i) => {
      const missing = sites.filter((s) => !defined?.get(s.id)?.has(name));
      if (missing.length) throw new MarketError('invalid', `segment ${name} is not defined at ${missing.map((s) => s.id).join(', ')}`, `body.segments.${i}`);
    });
    b.creatives.forEach((id, i) => {
      const c = this.creatives.get(id);
      // Another merchant's creative reads as missing: ids are not probeable.
      if (!c || c.merchantId !== merchantId) throw new MarketError('invalid', `no creative ${id}`, `body.creatives.${i}`);
      if (c.status === 'rejected') throw new MarketError('invalid', `creative ${id} was rejected; upload another`, `body.creatives.${i}`);
    });
    const dates = datesBetween(b.dates.from, b.dates.to).filter((d) => !b.days || b.days.includes(weekdayOf(d)));
    if (dates.length === 0) throw new MarketError('invalid', 'no date in the range falls on the chosen days', 'body.days');
    const count = dates.length * sites.length * b.dayparts.length;
    if (count > MAX_BOOKING_SLOTS) throw new MarketError('invalid', `${count} slots in one booking; at most ${MAX_BOOKING_SLOTS}`, 'body.dates');

    const id = newId('c');
    const at = this.now().toISOString();
    const seed = this.db.prepare('INSERT INTO slots (site, date, daypart, capacity_units) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    const take = this.db.prepare('UPDATE slots SET used_units = used_units + ? WHERE site = ? AND date = ? AND daypart = ? AND used_units + ? <= capacity_units');
    const left = this.db.prepare<[string, string, string], { n: number }>('SELECT capacity_units - used_units AS n FROM slots WHERE site = ? AND date = ? AND daypart = ?');
    const put = this.db.prepare('INSERT INTO bookings (campaign_id, site, date, daypart, units, price_cents) VALUES (?, ?, ?, ?, ?, ?)');
    const { merchantId: _, ...spec } = b;
    this.db.transaction(() => {
      const full: FullSlot[] = [];
      let price = 0;
      this.db.prepare('INSERT INTO market_campaigns (id, merchant_id, name, status, spec, price_cents, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)').run(id, merchantId, b.name, 'booked', JSON.stringify(spec), at);
      for (const s of sites) {
        for (const date of dates) {
          for (const dp of b.dayparts) {
            seed.run(s.id, date, dp, s.capacityUnits);
            if (take.run(b.units, s.id, date, dp, b.units).changes === 0) {
              full.push({ site: s.id, date, daypart: dp, availableUnits: left.get(s.id, date, dp)?.n ?? 0 });
              continue;
            }
            const cents = (s.priceCents[dp] ?? 0) * b.units;
            put.run(id, s.id, date, dp, b.units, cents);
            price += cents;
          }
        }
      }
      // Throwing rolls every slot of this booking back.
      if (full.length > 0) throw new MarketError('conflict', `${full.length} of ${count} slots lack ${b.units} free unit(s)`, undefined, { slots: full.slice(0, 200) });
      this.db.prepare('UPDATE market_campaigns SET price_cents = ? WHERE id = ?').run(price, id);
    }).immediate();
    return this.get(id)!;
  }

  /** Frees the capacity of slots after today (site-local); today's and past ones stay sold. */
  cancel(id: string): Campaign {
    const c = this.get(id);
    if (!c) throw new MarketError('not-found', `no campaign ${id}`);
    if (c.status === 'cancelled') return c;
    const release = this.db.prepare('UPDATE slots SET used_units = used_units - ? WHERE site = ? AND date = ? AND daypart = ?');
    this.db.transaction(() => {
      for (const s of c.sites) {
        const site = this.sites.get(s);
        const today = this.#today(site?.timezone ?? 'UTC');
        const rows = this.db
          .prepare<[string, string, string], { date: string; daypart: string; units: number }>('SELECT date, daypart, units FROM bookings WHERE campaign_id = ? AND site = ? AND date > ? AND released_at IS NULL')
          .all(id, s, today);
        for (const r of rows) release.run(r.units, s, r.date, r.daypart);
        this.db.prepare('UPDATE bookings SET released_at = ? WHERE campaign_id = ? AND site = ? AND date > ? AND released_at IS NULL').run(this.now().toISOString(), id, s, today);
      }
      this.db.prepare("UPDATE market_campaigns SET status = 'cancelled', cancelled_at = ?, price_cents = (SELECT coalesce(sum(price_cents), 0) FROM bookings WHERE campaign_id = ? AND released_at IS NULL) WHERE id = ?").run(this.now().toISOString(), id, id);
    }).immediate();
    return this.get(id)!;
  }

  get(id: string): Campaign | null {
    const r = this.db.prepare<[string], Row>(`${SELECT} WHERE c.id = ?`).get(id);
    return r ? this.#toCampaign(r) : null;
  }

  /** Newest first; `before` is the last id of the previous page. */
  list(o: { merchantId?: string; limit: number; before?: string }): Campaign[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (o.merchantId) {
      where.push('c.merchant_id = ?');
      args.push(o.merchantId);
    }
    if (o.before) {
      where.push('(c.created_at, c.id) < ((SELECT created_at FROM market_campaigns WHERE id = ?), ?)');
      args.push(o.before, o.before);
    }
    const sql = `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.created_at DESC, c.id DESC LIMIT ?`;
    return this.db.prepare<(string | number)[], Row>(sql).all(...args, o.limit).map((r) => this.#toCampaign(r));
  }

  /** Every campaign that is not cancelled and has not ended (for the manifest sync). */
  live(): Campaign[] {
    return this.db.prepare<[], Row>(`${SELECT} WHERE c.status = 'booked'`).all().map((r) => this.#toCampaign(r)).filter((c) => c.status !== 'ended');
  }

  slotsOf(id: string): BookedSlot[] {
    return this.db
      .prepare<[string], { site: string; date: string; daypart: DaypartId; units: number; price_cents: number; released_at: string | null }>('SELECT * FROM bookings WHERE campaign_id = ? ORDER BY date, site, daypart')
      .all(id)
      .map((r) => ({ site: r.site, date: r.date, daypart: r.daypart, units: r.units, priceCents: r.price_cents, released: r.released_at !== null }));
  }

  #toCampaign(r: Row): Campaign {
    const spec = JSON.parse(r.spec) as Omit<Booking, 'merchantId'>;
    let status: CampaignStatus = r.status;
    if (status === 'booked') {
      const tz = this.sites.get(spec.sites[0]!)?.timezone ?? 'UTC';
      if (spec.dates.to < this.#today(tz)) status = 'ended';
      else if (spec.creatives.every((id) => this.creatives.get(id)?.status === 'ready')) status = 'active';
    }
    // Identity first: it leads the CSV columns too.
    const { name, ...rest } = spec;
    return { id: r.id, merchantId: r.merchant_id, name, status, ...rest, priceCents: r.price_cents, slots: r.slots, createdAt: r.created_at, cancelledAt: r.cancelled_at };
  }
}
