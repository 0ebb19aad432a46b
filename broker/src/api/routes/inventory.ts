// Inventory: slots near a shop (merchants), fill and revenue (operators), the dayparts.
import { z } from 'zod';
import { DAYPARTS } from '../../market/dayparts.js';
import { RangeSchema, SearchSchema } from '../../market/inventory.js';
import type { Market } from '../../market/market.js';
import type { RouteTable } from '../route.js';

const Offer = z.object({
  site: z.object({ id: z.string(), name: z.string(), lat: z.number(), lon: z.number(), timezone: z.string(), capacityUnits: z.int() }),
  distanceKm: z.number(),
  slots: z.array(
    z.object({
      date: z.string(),
      daypart: z.string(),
      capacityUnits: z.int(),
      usedUnits: z.int(),
      availableUnits: z.int(),
      priceCents: z.int(),
      expectedUnlocks: z.number(),
      estimatedReach: z.number(),
      estimatedResidents: z.number().nullable(),
    }),
  ),
});
const SearchResult = z.object({ items: z.array(Offer), nextCursor: z.null(), currency: z.string() });
const Fill = z.object({ items: z.array(z.object({ site: z.string(), daypart: z.string(), capacityUnits: z.int(), usedUnits: z.int(), fill: z.number() })), nextCursor: z.null() });
const Revenue = z.object({ totalCents: z.int(), currency: z.string(), items: z.array(z.object({ site: z.string(), daypart: z.string(), cents: z.int() })) });

export function inventoryRoutes(t: RouteTable, m: Market, currency: string): void {
  t.add({ method: 'GET', url: '/api/v1/dayparts', access: 'public', tag: 'inventory', summary: 'The network dayparts (site-local hours)', response: z.object({ items: z.array(z.object({ id: z.string(), start: z.int(), end: z.int() })) }) }, () => ({
    items: DAYPARTS,
  }));

  t.add(
    {
      method: 'GET',
      url: '/api/v1/inventory/search',
      access: 'signed-in',
      tag: 'inventory',
      summary: 'Slots of the sites near a point, nearest first, with availability, price and estimated reach',
      query: SearchSchema,
      response: SearchResult,
      csv: (r: z.infer<typeof SearchResult>) => r.items.flatMap((i) => i.slots.map((s) => ({ site: i.site.id, distanceKm: i.distanceKm, ...s }))),
    },
    async ({ query }) => ({
      items: (await m.inventory.search(query)).map((i) => ({ ...i, site: { id: i.site.id, name: i.site.name, lat: i.site.lat, lon: i.site.lon, timezone: i.site.timezone, capacityUnits: i.site.capacityUnits } })),
      nextCursor: null,
      currency,
    }),
  );

  t.add({ method: 'GET', url: '/api/v1/inventory/fill', access: 'operator', tag: 'operator', summary: 'Sold share of voice by site × daypart', query: RangeSchema, response: Fill, csv: (r: z.infer<typeof Fill>) => r.items }, async ({ query }) => ({
    items: await m.inventory.fill(query),
    nextCursor: null,
  }));

  t.add({ method: 'GET', url: '/api/v1/revenue', access: 'operator', tag: 'operator', summary: 'Revenue booked by site × daypart (cancelled slots excluded)', query: RangeSchema, response: Revenue, csv: (r: z.infer<typeof Revenue>) => r.items }, async ({ query }) => ({
    ...(await m.inventory.revenue(query)),
    currency,
  }));
}
