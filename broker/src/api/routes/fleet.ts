// Operators: fleet health.
import { z } from 'zod';
import type { FleetRegistry } from '../../registry/fleet.js';
import { ApiError } from '../errors.js';
import { decodeCursor, PageSchema, page, type RouteTable } from '../route.js';

const Device = z.object({
  site: z.string(),
  device: z.string(),
  online: z.boolean(),
  lastSeen: z.string().nullable(),
  agentVersion: z.string().nullable(),
  manifestVersionApplied: z.int().nullable(),
  manifestVersionPublished: z.int().nullable(),
  outboxDepth: z.int().nullable(),
  oldestUnsyncedAgeS: z.number().nullable(),
});
const List = z.object({ items: z.array(Device), nextCursor: z.string().nullable(), summary: z.object({ devices: z.int(), online: z.int(), offline: z.int(), behind: z.int() }) });
const Query = PageSchema.extend({
  site: z.string().max(64).optional(),
  /** online | offline | behind (running an older manifest than published) */
  status: z.enum(['online', 'offline', 'behind']).optional(),
});

function cursorOf(c: string | undefined): [string, string] | null {
  if (!c) return null;
  let raw: unknown = null;
  try {
    raw = JSON.parse(decodeCursor(c)!);
  } catch {
    // not JSON: refused below like any other foreign cursor
  }
  const v = z.tuple([z.string(), z.string()]).safeParse(raw);
  if (!v.success) throw new ApiError(400, 'bad-request', 'not a cursor this list returned', [{ path: 'query.cursor', message: 'not a cursor this list returned' }]);
  return v.data;
}

const behind = (d: { manifestVersionPublished: number | null; manifestVersionApplied: number | null }) =>
  d.manifestVersionPublished !== null && (d.manifestVersionApplied ?? 0) < d.manifestVersionPublished;

export function fleetRoutes(t: RouteTable, fleet: FleetRegistry): void {
  t.add(
    {
      method: 'GET',
      url: '/api/v1/fleet',
      access: 'operator',
      tag: 'operator',
      summary: 'Devices: online, last seen, manifest applied/published, outbox depth, oldest unsynced age; filter by site and status',
      query: Query,
      response: List,
      csv: (r: z.infer<typeof List>) => r.items,
    },
    async ({ query }) => {
      const all = (await fleet.list()).filter((d) => !query.site || d.site === query.site);
      const summary = { devices: all.length, online: all.filter((d) => d.online).length, offline: all.filter((d) => !d.online).length, behind: all.filter(behind).length };
      const wanted = all.filter((d) => !query.status || (query.status === 'online' ? d.online : query.status === 'offline' ? !d.online : behind(d)));
      // Ordered by (site, device) as the registry lists them; the cursor is the last one shown.
      const after = cursorOf(query.cursor);
      const rest = after ? wanted.filter((d) => d.site > after[0] || (d.site === after[0] && d.device > after[1])) : wanted;
      return { ...page(rest.slice(0, query.limit + 1), query.limit, (d) => JSON.stringify([d.site, d.device])), summary };
    },
  );
}
