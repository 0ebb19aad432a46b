// The broker's HTTP server: creatives, /metrics, /healthz, and MQTT over WebSocket on /mqtt.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { isApiPath } from '../api/app.js';
import { authenticateRequest } from '../auth/http-basic.js';
import type { IdentityStore } from '../auth/identities.js';
import type { Identity } from '../auth/usernames.js';
import { type CreativeRouteDeps, serveCreative, text } from '../creatives/http.js';
import type { Logger } from '../obs/log.js';
import type { BrokerMetrics } from '../obs/metrics.js';
import { CONSOLE_PREFIX, consoleStatic } from './console-static.js';

export interface HttpDeps extends CreativeRouteDeps {
  identities: IdentityStore;
  metricsMode: 'operator' | 'public' | 'off';
  registry: Registry;
  metrics: BrokerMetrics;
  log: Logger;
  /** Exchanges a one-time enrolment code for the device's bundle and site key; absent: off. */
  enrol?(code: string): Promise<unknown>;
  /** Handles an upgrade to MQTT over WebSocket on /mqtt; absent: WebSocket off. */
  upgradeMqtt?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** The marketplace API (api/app.ts), served under /api/; absent: off. */
  api?: { handle(req: IncomingMessage, res: ServerResponse): void };
  /** The built web console; default broker/console/dist. */
  consoleDir?: string;
}

const CREATIVE = /^\/creatives\/([0-9a-f]{64})$/;
const CHALLENGE = { 'www-authenticate': 'Basic realm="doorcast", charset="UTF-8"' };

export function createHttpServer(d: HttpDeps): Server {
  const server = createServer((req, res) => {
    if (d.api && isApiPath(req.url)) return d.api.handle(req, res);
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
  if (path === '/enrol' && d.enrol) return ['enrol', await enrol(d, d.enrol, req, res)];
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
  if (path === '/') return ['console', text(res, 302, '', { location: CONSOLE_PREFIX })];
  if (path === '/console' || path.startsWith(CONSOLE_PREFIX)) return ['console', await consoleStatic(d.consoleDir)(req, res, path)];
  return ['other', text(res, 404, 'not found\n')];
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(body)}\n`);
  return status;
};

/** POST /enrol {"code": "..."}: 200 with the bundle and site key, 403 with the reason, once. */
async function enrol(d: HttpDeps, exchange: (code: string) => Promise<unknown>, req: IncomingMessage, res: ServerResponse): Promise<number> {
  if (req.method !== 'POST') return text(res, 405, 'POST\n', { allow: 'POST' });
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 1024) return json(res, 413, { error: 'too-large', detail: 'the request is at most 1 KiB' });
  }
  let code: unknown;
  try {
    code = (JSON.parse(body) as { code?: unknown }).code;
  } catch {
    return json(res, 400, { error: 'not-json', detail: 'send {"code": "XXXXX-XXXXX-XXXXX"}' });
  }
  if (typeof code !== 'string' || code.length < 5 || code.length > 64) return json(res, 400, { error: 'schema', path: 'code', detail: 'code: a string of 5–64 characters' });
  try {
    const out = await exchange(code);
    d.log.info({ remote: req.socket.remoteAddress }, 'enrolment code exchanged');
    return json(res, 200, out);
  } catch (err) {
    const reason = (err as { reason?: string }).reason;
    if (!reason) throw err;
    d.log.warn({ reason, remote: req.socket.remoteAddress }, 'enrolment refused');
    return json(res, 403, { error: reason, detail: reason === 'expired' ? 'the code has expired: ask the operator for a new one' : reason === 'used' ? 'the code was already used: ask the operator for a new one' : 'no such code: check it was typed correctly' });
  }
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
