// Operators: fleet health.
import { z } from 'zod';
import type { FleetRegistry } from '../../registry/fleet.js';
import type { RouteTable } from '../route.js';

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
const List = z.object({ items: z.array(Device), summary: z.object({ devices: z.int(), online: z.int(), behind: z.int() }) });

export function fleetRoutes(t: RouteTable, fleet: FleetRegistry): void {
  t.add({ method: 'GET', url: '/api/v1/fleet', access: 'operator', tag: 'operator', summary: 'Devices: online, last seen, manifest applied/published, outbox depth, oldest unsynced age', query: z.strictObject({ site: z.string().max(64).optional() }), response: List, csv: (r: z.infer<typeof List>) => r.items }, ({ query }) => {
    const items = fleet.list().filter((d) => !query.site || d.site === query.site);
    return {
      items,
      summary: {
        devices: items.length,
        online: items.filter((d) => d.online).length,
        // Running an older manifest than the one published for it.
        behind: items.filter((d) => d.manifestVersionPublished !== null && (d.manifestVersionApplied ?? 0) < d.manifestVersionPublished).length,
      },
    };
  });
}
