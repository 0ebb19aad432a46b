// Prometheus metrics (prom-client). Components register on the Registry they are given,
// never on the global default, so several agents can live in one test process.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

/** Returns the metric named `name` already on `registry`, or registers the one `make` builds. */
export function metric<T>(registry: Registry, name: string, make: (registers: Registry[]) => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make([registry]);
}
