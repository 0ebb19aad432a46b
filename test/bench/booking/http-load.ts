// Concurrent HTTP for the booking bench: keep-alive connections (one per simulated merchant),
// each request timed from the first byte written to the last byte of the answer.
import { Agent, request } from 'node:http';
import { percentile, round } from '../result.js';

export interface Timed {
  status: number;
  ms: number;
  body: string;
}

export class LoadClient {
  readonly agent: Agent;
  /** Requests sent again after a kept-alive connection closed under them. */
  retries = 0;

  constructor(
    readonly port: number,
    connections: number,
  ) {
    // The broker's http server closes a connection idle for 5 s (node's keepAliveTimeout); the
    // client lets go of it first, so no request races that close between waves.
    this.agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections, timeout: 4000 });
  }

  /**
   * One request, timed from the first attempt. A kept-alive connection the server closed just as
   * the request went out is retried once on a new one, as HTTP clients do (node's docs,
   * `request.reusedSocket`); nothing reached the handler.
   */
  async call(method: 'GET' | 'POST', path: string, token: string, body?: unknown, timeoutMs = 60_000): Promise<Timed> {
    const t0 = performance.now();
    try {
      return await this.#once(method, path, token, body, timeoutMs, t0);
    } catch (err) {
      if (!(err as { reused?: boolean }).reused) throw err;
      this.retries++;
      return this.#once(method, path, token, body, timeoutMs, t0);
    }
  }

  #once(method: 'GET' | 'POST', path: string, token: string, body: unknown, timeoutMs: number, t0: number): Promise<Timed> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          agent: this.agent,
          timeout: timeoutMs,
          headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, body: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        const stale = req.reusedSocket && (err.code === 'ECONNRESET' || err.message === 'socket hang up');
        reject(Object.assign(err, { reused: stale }));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface WaveStats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  perSecond: number;
  statuses: Record<number, number>;
}

export function stats(results: readonly Timed[], wallMs: number): WaveStats {
  const ms = results.map((r) => r.ms);
  const statuses: Record<number, number> = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return {
    n: results.length,
    p50: round(percentile(ms, 50), 1),
    p95: round(percentile(ms, 95), 1),
    p99: round(percentile(ms, 99), 1),
    max: round(Math.max(...ms), 1),
    perSecond: round((results.length / wallMs) * 1000, 0),
    statuses,
  };
}

export const statusText = (s: Record<number, number>) =>
  Object.entries(s)
    .map(([k, v]) => `${v}×${k}`)
    .join(' ');
