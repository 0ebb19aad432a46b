// The store's Prometheus metrics. Gauges are read from the database when scraped (collect),
// so they are never stale; they follow the store currently open on that registry, and a
// closed store reports nothing rather than failing the scrape.
import { Counter, Gauge, metric, type Registry } from '../obs/metrics.js';

export interface StoreProbe {
  bytes(): number;
  doorEvents(): number;
  outboxDepth(): number;
  oldestAgeSeconds(): number;
}

const live = new WeakMap<Registry, StoreProbe>();

function probed(registry: Registry, name: string, help: string, read: (p: StoreProbe) => number): Gauge {
  return metric(
    registry,
    name,
    (registers) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const p = live.get(registry);
          if (!p) return;
          try {
            this.set(read(p));
          } catch {
            // Closed or failing store: keep the last value; the error surfaces on the write path.
          }
        },
      }),
  );
}

export function storeMetrics(registry: Registry, probe: StoreProbe) {
  live.set(registry, probe);
  probed(registry, 'doorcast_store_bytes', 'Bytes of the local database in use (the budget compares this)', (p) => p.bytes());
  probed(registry, 'doorcast_store_door_events', 'Door events held row by row', (p) => p.doorEvents());
  probed(registry, 'doorcast_outbox_depth', 'Impressions not yet acked by the cloud', (p) => p.outboxDepth());
  probed(registry, 'doorcast_outbox_oldest_age_seconds', 'Age of the oldest impression not yet acked by the cloud', (p) => p.oldestAgeSeconds());
  return {
    rolledUp: metric(registry, 'doorcast_store_rolled_up_total', (r) => new Counter({ name: 'doorcast_store_rolled_up_total', help: 'Door events rolled up into hourly counts at the budget', registers: r })),
    recoveries: metric(
      registry,
      'doorcast_store_corrupt_recoveries_total',
      (r) => new Counter({ name: 'doorcast_store_corrupt_recoveries_total', help: 'Corrupt databases moved aside at open', registers: r }),
    ),
    overBudget: metric(registry, 'doorcast_store_over_budget', (r) => new Gauge({ name: 'doorcast_store_over_budget', help: '1 when over budget with nothing left to roll up (unacked impressions are kept)', registers: r })),
    /** Stops reporting this store's gauges (on close). */
    detach: () => {
      if (live.get(registry) === probe) live.delete(registry);
    },
  };
}
