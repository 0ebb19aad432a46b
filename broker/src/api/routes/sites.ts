// Sites and their weekly profile.
import { z } from 'zod';
import { SiteIdSchema } from '../../contract.js';
import type { Market } from '../../market/market.js';
import { HoursSchema } from '../../market/profile.js';
import { SiteInputSchema, SitePatchSchema, SiteSchema } from '../../market/sites.js';
import type { RouteTable } from '../route.js';

const IdParams = z.strictObject({ id: SiteIdSchema });
const List = z.object({ items: z.array(SiteSchema), nextCursor: z.null() });
const ProfileSchema = z.object({ source: z.enum(['learned', 'manual', 'generic']), days: z.int(), hours: HoursSchema });

export function siteRoutes(t: RouteTable, m: Market): void {
  t.add({ method: 'GET', url: '/api/v1/sites', access: 'signed-in', tag: 'sites', summary: 'List sites', response: List, csv: (r: z.infer<typeof List>) => r.items }, async () => ({ items: await m.sites.list(), nextCursor: null }));

  t.add({ method: 'POST', url: '/api/v1/sites', access: 'operator', tag: 'sites', summary: 'Create a site', body: SiteInputSchema, response: SiteSchema, status: 201 }, ({ body }) => m.sites.create(body));

  t.add({ method: 'GET', url: '/api/v1/sites/:id', access: 'signed-in', tag: 'sites', summary: 'One site', params: IdParams, response: SiteSchema }, ({ params }) => m.inventory.requireSite(params.id));

  t.add({ method: 'PATCH', url: '/api/v1/sites/:id', access: 'operator', tag: 'sites', summary: 'Update a site', params: IdParams, body: SitePatchSchema, response: SiteSchema }, async ({ params, body }) => {
    const s = await m.sites.update(params.id, body);
    m.inventory.forgetProfile(params.id);
    return s;
  });

  t.add({ method: 'GET', url: '/api/v1/sites/:id/segments', access: 'signed-in', tag: 'sites', summary: 'Audience segments a campaign may target at this site (names only; residents stay on the device)', params: IdParams, response: z.object({ items: z.array(z.object({ name: z.string(), kind: z.string() })) }) }, async ({ params }) => {
    await m.inventory.requireSite(params.id);
    return { items: await m.sites.segments(params.id) };
  });

  t.add({ method: 'GET', url: '/api/v1/sites/:id/profile', access: 'signed-in', tag: 'sites', summary: 'Expected unlocks per site-local hour, Sunday first', params: IdParams, response: ProfileSchema }, async ({ params }) =>
    m.inventory.profile(await m.inventory.requireSite(params.id)),
  );

  t.add({ method: 'PUT', url: '/api/v1/sites/:id/profile', access: 'operator', tag: 'sites', summary: 'Set the manual profile (used until a week of door counts exists)', params: IdParams, body: z.strictObject({ hours: HoursSchema }), response: ProfileSchema }, async ({ params, body }) => {
    await m.sites.setManualProfile(params.id, body);
    m.inventory.forgetProfile(params.id);
    return m.inventory.profile(await m.inventory.requireSite(params.id));
  });
}
