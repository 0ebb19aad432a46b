// The upload pipeline's metrics, on the registry it is given (obs/metrics.ts: never the
// global one). Reused when a second pipeline (a restart in a test) shares the registry.
import { Counter, Histogram, type Registry } from 'prom-client';

function once<T>(r: Registry, name: string, make: () => T): T {
  return (r.getSingleMetric(name) as T | undefined) ?? make();
}

export function uploadMetrics(r: Registry) {
  const registers = [r];
  return {
    uploads: once(
      r,
      'doorcast_broker_uploads_total',
      () =>
        new Counter({
          name: 'doorcast_broker_uploads_total',
          help: 'Creative uploads: accepted, duplicate or refused (with reason) when received; ready or rejected (with reason) when processed',
          labelNames: ['result', 'reason'],
          registers,
        }),
    ),
    transcodeSeconds: once(
      r,
      'doorcast_broker_transcode_seconds',
      () =>
        new Histogram({
          name: 'doorcast_broker_transcode_seconds',
          help: 'Wall time of one upload transcode, by screen profile',
          labelNames: ['profile'],
          buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300],
          registers,
        }),
    ),
  };
}

export type UploadMetrics = ReturnType<typeof uploadMetrics>;
