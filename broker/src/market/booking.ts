// Booking slots as one transaction: every slot of the request gets its units, or none does.
// The capacity check is a conditional UPDATE and the table has a CHECK besides, so two
// bookings racing for the last unit (in one process or several) never oversell.
import { z } from 'zod';
import { NameSchema, SiteIdSchema } from '../contract.js';
import type { StateDb } from '../db/state-db.js';
import { newId } from './accounts.js';
import { type DaypartId, DaypartSchema } from './dayparts.js';
import { MarketError } from './errors.js';
import { datesBetween, localHourOf, weekdayOf } from './site-time.js';
import type { Site, SiteStore } from './sites.js';

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
  get(id: string): Promise<{ id: string; merchantId: string; status: 'processing' | 'ready' | 'rejected' } | null>;
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
const SEED = 'INSERT INTO slots (site, date, daypart, capacity_units) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING';
const TAKE = 'UPDATE slots SET used_units = used_units + ? WHERE site = ? AND date = ? AND daypart = ? AND used_units + ? <= capacity_units';
const LEFT = 'SELECT capacity_units - used_units AS n FROM slots WHERE site = ? AND date = ? AND daypart = ?';
const RELEASE = 'UPDATE slots SET used_units = used_units - ? WHERE site = ? AND date = ? AND daypart = ?';
/** Booking rows per INSERT: well under SQLite's 32766 parameters. */
const PUT_CHUNK = 200;

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** The one order every transaction locks slot rows in, so two of them never wait on each other in a cycle. */
const bySlot = (a: { site: string; date: string; daypart: string }, b: { site: string; date: string; daypart: string }) => cmp(a.site, b.site) || cmp(a.date, b.date) || cmp(a.daypart, b.daypart);

/** Per-call look-ups, so a page of campaigns asks for each site and creative once. */
interface Memo {
  zones: Map<string, Promise<string>>;
  creatives: Map<string, Promise<string | undefined>>;
}

export class Bookings {
  constructor(
    readonly db: StateDb,
    readonly sites: SiteStore,
    readonly creatives: CreativeLookup,
    readonly now: () => Date = () => new Date(),
  ) {}

  #today(timezone: string): string {
    return localHourOf(this.now().getTime(), timezone).date;
  }

  /** Books every slot or none: MarketError('conflict') lists the slots short of capacity. */
  async book(merchantId: string, input: unknown): Promise<Campaign> {
    const b = BookingSchema.parse(input);
    const sites: Site[] = [];
    for (const [i, id] of b.sites.entries()) {
      const s = await this.sites.get(id);
      if (!s) throw new MarketError('invalid', `no site ${id}`, `body.sites.${i}`);
      if (b.dates.from < this.#today(s.timezone)) throw new MarketError('invalid', `dates.from ${b.dates.from} is in the past at ${id}`, 'body.dates.from');
      sites.push(s);
    }
    // A segment no booked site defines would never match anyone: the campaign could not play.
    if (b.segments) {
      const defined = new Map<string, Set<string>>();
      for (const s of sites) defined.set(s.id, new Set((await this.sites.segments(s.id)).map((r) => r.name)));
      b.segments.forEach((name, i) => {
        const missing = sites.filter((s) => !defined.get(s.id)?.has(name));
        if (missing.length) throw new MarketError('invalid', `segment ${name} is not defined at ${missing.map((s) => s.id).join(', ')}`, `body.segments.${i}`);
      });
    }
    for (const [i, id] of b.creatives.entries()) {
      const c = await this.creatives.get(id);
      // Another merchant's creative reads as missing: ids are not probeable.
      if (!c || c.merchantId !== merchantId) throw new MarketError('invalid', `no creative ${id}`, `body.creatives.${i}`);
      if (c.status === 'rejected') throw new MarketError('invalid', `creative ${id} was rejected; upload another`, `body.creatives.${i}`);
    }
    const dates = datesBetween(b.dates.from, b.dates.to).filter((d) => !b.days || b.days.includes(weekdayOf(d)));
    if (dates.length === 0) throw new MarketError('invalid', 'no date in the range falls on the chosen days', 'body.days');
    const count = dates.length * sites.length * b.dayparts.length;
    if (count > MAX_BOOKING_SLOTS) throw new MarketError('invalid', `${count} slots in one booking; at most ${MAX_BOOKING_SLOTS}`, 'body.dates');

    const id = newId('c');
    const at = this.now().toISOString();
    const { merchantId: _, ...spec } = b;
    // `i`: the request's order, in which a 409 lists the full slots.
    let i = 0;
    const wanted = sites.flatMap((s) => dates.flatMap((date) => b.dayparts.map((daypart) => ({ i: i++, s, site: s.id, date, daypart }))));
    wanted.sort(bySlot);
    await this.db.tx(async (q) => {
      const full: (FullSlot & { i: number })[] = [];
      const put: unknown[][] = [];
      let price = 0;
      await q.run('INSERT INTO market_campaigns (id, merchant_id, name, status, spec, price_cents, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)', [id, merchantId, b.name, 'booked', JSON.stringify(spec), at]);
      for (const w of wanted) {
        if (full.length > 0) {
          // Doomed already: only find the other full slots, locking nothing more.
          const r = await q.get<{ n: number }>(LEFT, [w.site, w.date, w.daypart]);
          const n = r ? Number(r.n) : w.s.capacityUnits;
          if (n < b.units) full.push({ i: w.i, site: w.site, date: w.date, daypart: w.daypart, availableUnits: n });
          continue;
        }
        await q.run(SEED, [w.site, w.date, w.daypart, w.s.capacityUnits]);
        if ((await q.run(TAKE, [b.units, w.site, w.date, w.daypart, b.units])).changes === 0) {
          const r = await q.get<{ n: number }>(LEFT, [w.site, w.date, w.daypart]);
          full.push({ i: w.i, site: w.site, date: w.date, daypart: w.daypart, availableUnits: r ? Number(r.n) : 0 });
          continue;
        }
        const cents = (w.s.priceCents[w.daypart] ?? 0) * b.units;
        put.push([id, w.site, w.date, w.daypart, b.units, cents]);
        price += cents;
      }
      // Throwing rolls every slot of this booking back.
      if (full.length > 0) {
        const slots = full.sort((x, y) => x.i - y.i).map(({ i: _i, ...slot }) => slot);
        throw new MarketError('conflict', `${full.length} of ${count} slots lack ${b.units} free unit(s)`, undefined, { slots: slots.slice(0, 200) });
      }
      for (let k = 0; k < put.length; k += PUT_CHUNK) {
        const chunk = put.slice(k, k + PUT_CHUNK);
        await q.run(`INSERT INTO bookings (campaign_id, site, date, daypart, units, price_cents) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`, chunk.flat());
      }
      await q.run('UPDATE market_campaigns SET price_cents = ? WHERE id = ?', [price, id]);
    });
    return (await this.get(id))!;
  }

  /** Frees the capacity of slots after today (site-local); today's and past ones stay sold. */
  async cancel(id: string): Promise<Campaign> {
    const c = await this.get(id);
    if (!c) throw new MarketError('not-found', `no campaign ${id}`);
    if (c.status === 'cancelled') return c;
    const todays: [string, string][] = [];
    for (const s of c.sites) todays.push([s, this.#today((await this.sites.get(s))?.timezone ?? 'UTC')]);
    const at = this.now().toISOString();
    await this.db.tx(async (q) => {
      // Claimed first: a cancel racing this one (on another node) finds it taken and frees nothing twice.
      if ((await q.run("UPDATE market_campaigns SET status = 'cancelled', cancelled_at = ? WHERE id = ? AND status = 'booked'", [at, id])).changes === 0) return;
      const rows: { site: string; date: string; daypart: string; units: number }[] = [];
      for (const [s, today] of todays) {
        rows.push(...(await q.all<{ site: string; date: string; daypart: string; units: number }>('SELECT site, date, daypart, units FROM bookings WHERE campaign_id = ? AND site = ? AND date > ? AND released_at IS NULL', [id, s, today])));
      }
      for (const r of rows.sort(bySlot)) await q.run(RELEASE, [r.units, r.site, r.date, r.daypart]);
      for (const [s, today] of todays) await q.run('UPDATE bookings SET released_at = ? WHERE campaign_id = ? AND site = ? AND date > ? AND released_at IS NULL', [at, id, s, today]);
      await q.run('UPDATE market_campaigns SET price_cents = (SELECT coalesce(sum(price_cents), 0) FROM bookings WHERE campaign_id = ? AND released_at IS NULL) WHERE id = ?', [id, id]);
    });
    return (await this.get(id))!;
  }

  async get(id: string): Promise<Campaign | null> {
    const r = await this.db.get<Row>(`${SELECT} WHERE c.id = ?`, [id]);
    return r ? this.#toCampaign(r, memo()) : null;
  }

  /** Newest first; `before` is the last id of the previous page. */
  async list(o: { merchantId?: string; limit: number; before?: string }): Promise<Campaign[]> {
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
    return this.#toCampaigns(await this.db.all<Row>(sql, [...args, o.limit]));
  }

  /** Every campaign that is not cancelled and has not ended (for the manifest sync). */
  async live(): Promise<Campaign[]> {
    const rows = await this.db.all<Row>(`${SELECT} WHERE c.status = 'booked' ORDER BY c.created_at, c.id`);
    return (await this.#toCampaigns(rows)).filter((c) => c.status !== 'ended');
  }

  async slotsOf(id: string): Promise<BookedSlot[]> {
    const rows = await this.db.all<{ site: string; date: string; daypart: DaypartId; units: number; price_cents: number; released_at: string | null }>(
      'SELECT * FROM bookings WHERE campaign_id = ? ORDER BY date, site, daypart',
      [id],
    );
    return rows.map((r) => ({ site: r.site, date: r.date, daypart: r.daypart, units: r.units, priceCents: r.price_cents, released: r.released_at !== null }));
  }

  async #toCampaigns(rows: Row[]): Promise<Campaign[]> {
    const m = memo();
    const out: Campaign[] = [];
    for (const r of rows) out.push(await this.#toCampaign(r, m));
    return out;
  }

  async #toCampaign(r: Row, m: Memo): Promise<Campaign> {
    const spec = JSON.parse(r.spec) as Omit<Booking, 'merchantId'>;
    let status: CampaignStatus = r.status;
    if (status === 'booked') {
      const site = spec.sites[0]!;
      if (!m.zones.has(site)) m.zones.set(site, this.sites.get(site).then((s) => s?.timezone ?? 'UTC'));
      if (spec.dates.to < this.#today(await m.zones.get(site)!)) status = 'ended';
      else {
        let ready = true;
        for (const id of spec.creatives) {
          if (!m.creatives.has(id)) m.creatives.set(id, this.creatives.get(id).then((c) => c?.status));
          if ((await m.creatives.get(id)) !== 'ready') ready = false;
        }
        if (ready) status = 'active';
      }
    }
    // Identity first: it leads the CSV columns too.
    const { name, ...rest } = spec;
    return { id: r.id, merchantId: r.merchant_id, name, status, ...rest, priceCents: r.price_cents, slots: r.slots, createdAt: r.created_at, cancelledAt: r.cancelled_at };
  }
}

const memo = (): Memo => ({ zones: new Map(), creatives: new Map() });
