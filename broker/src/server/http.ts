// The broker's HTTP server: creatives, /metrics, /healthz, and MQTT over WebSocket on /mqtt.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { authenticateRequest } from '../auth/http-basic.js';
import type { IdentityStore } from '../auth/identities.js';
import type { Identity } from '../auth/usernames.js';
import { type CreativeRouteDeps, serveCreative, text } from '../creatives/http.js';
import type { Logger } from '../obs/log.js';
import type { BrokerMetrics } from '../obs/metrics.js';

export interface HttpDeps extends CreativeRouteDeps {
  identities: IdentityStore;
  metricsMode: 'operator' | 'public' | 'off';
  registry: Registry;
  metrics: BrokerMetrics;
  log: Logger;
  /** Handles an upgrade to MQTT over WebSocket on /mqtt; absent: WebSocket off. */
  upgradeMqtt?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

const CREATIVE = /^\/creatives\/([0-9a-f]{64})$/;
const CHALLENGE = { 'www-authenticate': 'Basic realm="doorcast", charset="UTF-8"' };

export function createHttpServer(d: HttpDeps): Server {
  const server = createServer((req, res) => {
    route(d, req, res).then(
      ([name, status]) => d.metrics.httpRequests.inc({ route: name, status: String(status) }),
      (err: Error) => {
        d.log.error({ err, url: req.url }, 'http handler failed');
        if (!res.headersSent) text(res, 500, 'internal error\n');
        else res.destroy();
        d.metrics.httpRequests.inc({ route: 'error', status: '500' });
      },
    );
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (d.upgradeMqtt && new URL(req.url ?? '/', 'http://x').pathname === '/mqtt') return d.upgradeMqtt(req, socket, head);
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
  });
  return server;
}

async function route(d: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<[string, number]> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const readOnly = req.method === 'GET' || req.method === 'HEAD';
  if (path === '/healthz') return ['healthz', text(res, 200, 'ok\n')];
  const creative = CREATIVE.exec(path);
  if (creative) {
    if (!readOnly) return ['creatives', text(res, 405, 'GET or HEAD\n', { allow: 'GET, HEAD' })];
    const who = await authenticate(d, req, res);
    if (!who) return ['creatives', res.statusCode];
    return ['creatives', await serveCreative(d, who, creative[1]!, req, res)];
  }
  if (path === '/metrics' && d.metricsMode !== 'off') {
    if (!readOnly) return ['metrics', text(res, 405, 'GET\n', { allow: 'GET, HEAD' })];
    if (d.metricsMode === 'operator') {
      const who = await authenticate(d, req, res);
      if (!who) return ['metrics', res.statusCode];
      if (who.kind !== 'operator') return ['metrics', text(res, 403, 'operators only\n')];
    }
    const body = await d.registry.metrics();
    res.writeHead(200, { 'content-type': d.registry.contentType }).end(body);
    return ['metrics', 200];
  }
  return ['other', text(res, 404, 'not found\n')];
}

/** Answers 401/403 itself and returns null when the request is not authenticated. */
async function authenticate(d: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<Identity | null> {
  const r = await authenticateRequest(d.identities, req);
  d.metrics.authTotal.inc({ result: r.ok ? 'ok' : r.reason });
  if (r.ok) return r.identity;
  if (r.reason === 'revoked') text(res, 403, 'credential revoked\n');
  else text(res, 401, 'credentials required\n', CHALLENGE);
  return null;
}
