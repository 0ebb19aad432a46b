// The cache's metrics, on the registry it is given (obs/metrics.ts).
import { Counter, Gauge, Histogram, metric, type Registry } from '../obs/metrics.js';

export function cacheMetrics(r: Registry) {
  return {
    bytes: metric(r, 'doorcast_cache_bytes', (registers) => new Gauge({ name: 'doorcast_cache_bytes', help: 'Bytes of transcoded creatives on disk', registers })),
    over: metric(r, 'doorcast_cache_over_budget_bytes', (registers) => new Gauge({ name: 'doorcast_cache_over_budget_bytes', help: 'Bytes by which the current creatives alone exceed the cache budget (kept regardless)', registers })),
    rejected: metric(r, 'doorcast_creative_rejected_total', (registers) => new Counter({ name: 'doorcast_creative_rejected_total', help: 'Creatives quarantined, by reason', labelNames: ['reason'], registers })),
    fetched: metric(r, 'doorcast_creative_fetched_bytes_total', (registers) => new Counter({ name: 'doorcast_creative_fetched_bytes_total', help: 'Bytes downloaded for creatives', registers })),
    resumed: metric(r, 'doorcast_creative_downloads_resumed_total', (registers) => new Counter({ name: 'doorcast_creative_downloads_resumed_total', help: 'Creative downloads resumed from a partial file', registers })),
    evicted: metric(r, 'doorcast_creative_evicted_total', (registers) => new Counter({ name: 'doorcast_creative_evicted_total', help: 'Transcoded creatives evicted (least recently played, not in the manifest)', registers })),
    transcodeSeconds: metric(
      r,
      'doorcast_creative_transcode_seconds',
      (registers) => new Histogram({ name: 'doorcast_creative_transcode_seconds', help: 'Wall time of one transcode', buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300], registers }),
    ),
  };
}
