// Campaigns: book, list, read, cancel, and the report. A merchant sees only its own; another
// merchant's campaign answers 404, so ids cannot be probed.
import { z } from 'zod';
import type { Account } from '../../market/accounts.js';
import { BookingSchema, type Campaign, DateSchema } from '../../market/booking.js';
import type { Market } from '../../market/market.js';
import type { CampaignReport } from '../../market/report.js';
import { ApiError } from '../errors.js';
import { decodeCursor, PageSchema, page, type RouteTable } from '../route.js';

const IdParams = z.strictObject({ id: z.string().regex(/^c_[0-9a-f]{20}$/, 'a campaign id (c_…)') });
const CampaignOut = z.looseObject({ id: z.string(), merchantId: z.string(), name: z.string(), status: z.enum(['booked', 'active', 'cancelled', 'ended']), priceCents: z.int(), slots: z.int() });
const List = z.object({ items: z.array(CampaignOut), nextCursor: z.string().nullable() });
const ReportQuery = z.strictObject({ from: DateSchema.optional(), to: DateSchema.optional() });
const TABLES = ['byDay', 'byDaypart', 'bySite', 'byDoor', 'frequency', 'funnel'] as const;

/** The campaign if this account may see it; 404 otherwise. */
export async function visibleCampaign(m: Market, account: Account, id: string): Promise<Campaign> {
  const c = await m.bookings.get(id);
  if (!c || (account.role === 'merchant' && c.merchantId !== account.merchantId)) throw new ApiError(404, 'not-found', `no campaign ${id}`);
  return c;
}

function reportRows(r: CampaignReport, q: Record<string, unknown>): Record<string, unknown>[] {
  const table = (q.table ?? 'byDay') as string;
  if (!(TABLES as readonly string[]).includes(table)) throw new ApiError(400, 'bad-request', `table: one of ${TABLES.join(', ')}`, [{ path: 'query.table', message: `one of ${TABLES.join(', ')}` }]);
  return r[table as (typeof TABLES)[number]] as unknown as Record<string, unknown>[];
}

export function campaignRoutes(t: RouteTable, m: Market): void {
  t.add({ method: 'GET', url: '/api/v1/campaigns', access: 'signed-in', tag: 'campaigns', summary: "Campaigns: a merchant's own, or all for operators (?merchant=)", query: PageSchema.extend({ merchant: z.string().max(64).optional() }), response: List, csv: (r: z.infer<typeof List>) => r.items }, async ({ query, account }) => {
    const merchantId = account.role === 'merchant' ? account.merchantId! : query.merchant;
    const rows = await m.bookings.list({ ...(merchantId ? { merchantId } : {}), limit: query.limit + 1, ...(query.cursor ? { before: decodeCursor(query.cursor) } : {}) });
    return page(rows, query.limit, (c) => c.id);
  });

  t.add({ method: 'POST', url: '/api/v1/campaigns', access: 'merchant', tag: 'campaigns', summary: 'Book slots: sites × dayparts × dates, all or nothing (409 lists the full slots)', body: BookingSchema, response: CampaignOut, status: 201 }, async ({ body, account, req }) => {
    let merchantId = account.merchantId;
    if (account.role === 'operator') {
      if (!body.merchantId || !(await m.accounts.merchant(body.merchantId))) throw new ApiError(400, 'bad-request', 'an operator books for a merchant: give merchantId', [{ path: 'body.merchantId', message: 'an existing merchant id' }]);
      merchantId = body.merchantId;
    } else if (body.merchantId && body.merchantId !== merchantId) {
      throw new ApiError(403, 'forbidden', 'merchants book for themselves', [{ path: 'body.merchantId', message: 'leave it out' }]);
    }
    const c = await m.book(merchantId!, body);
    req.log.info({ campaign: c.id }, 'booked');
    return c;
  });

  t.add({ method: 'GET', url: '/api/v1/campaigns/:id', access: 'signed-in', tag: 'campaigns', summary: 'One campaign with its slots', params: IdParams, response: CampaignOut }, async ({ params, account }) => {
    const c = await visibleCampaign(m, account, params.id);
    return { ...c, bookedSlots: await m.bookings.slotsOf(c.id) };
  });

  t.add({ method: 'POST', url: '/api/v1/campaigns/:id/cancel', access: 'signed-in', tag: 'campaigns', summary: 'Cancel: frees the capacity of its slots after today and stops its plays', params: IdParams, response: CampaignOut }, async ({ params, account }) => {
    await visibleCampaign(m, account, params.id);
    return m.cancel(params.id);
  });

  t.add(
    {
      method: 'GET',
      url: '/api/v1/campaigns/:id/report',
      access: 'signed-in',
      tag: 'reports',
      summary: 'Plays, completions, distinct residents, frequency and funnel; cells under the minimum cohort suppressed',
      params: IdParams,
      query: ReportQuery,
      csv: reportRows as (r: never, q: Record<string, unknown>) => Record<string, unknown>[],
    },
    async ({ params, query, account }) => {
      await visibleCampaign(m, account, params.id);
      return m.report(params.id, query);
    },
  );
}
