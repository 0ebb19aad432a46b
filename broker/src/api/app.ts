// The marketplace HTTP API on fastify, mounted under /api/ of the broker's HTTP server.
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Market } from '../market/market.js';
import type { Logger } from '../obs/log.js';
import type { BrokerMetrics } from '../obs/metrics.js';
import type { FleetRegistry } from '../registry/fleet.js';
import { ApiError, toApiError } from './errors.js';
import { openApiDocument } from './openapi.js';
import { RouteTable } from './route.js';
import { accountRoutes } from './routes/accounts.js';
import { campaignRoutes } from './routes/campaigns.js';
import { creativeRoutes } from './routes/creatives.js';
import { fleetRoutes } from './routes/fleet.js';
import { inventoryRoutes } from './routes/inventory.js';
import { sessionRoutes } from './routes/session.js';
import { siteRoutes } from './routes/sites.js';

export interface ApiDeps {
  market: Market;
  fleet: FleetRegistry;
  currency: string;
  metrics: BrokerMetrics;
  log: Logger;
}

export interface Api {
  app: FastifyInstance;
  /** Serves one request from the broker's node:http server. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

export const isApiPath = (url: string | undefined) => (url ?? '').startsWith('/api/');

export async function createApi(d: ApiDeps): Promise<Api> {
  const app: FastifyInstance = Fastify({
    // pino's Logger is fastify's logger; only the generic parameters differ.
    loggerInstance: d.log.child({ component: 'api' }) as unknown as FastifyBaseLogger,
    // One line per refused or failed request comes from the error handler; none per success.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 256 * 1024,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
  });
  // Upload bodies stay a stream: the creative pipeline caps, hashes and probes it itself.
  app.addContentTypeParser(/^(video\/[\w.+-]+|application\/octet-stream)$/, (_req, payload, done) => done(null, payload));
  app.setErrorHandler((err, req, reply) => {
    const e = toApiError(err);
    if (e.status >= 500) req.log.error({ err, url: req.url }, 'api handler failed');
    else req.log.info({ url: req.url, status: e.status, error: e.code, issues: e.issues?.slice(0, 5) }, 'api request refused');
    return reply.status(e.status).headers(e.headers ?? {}).header('cache-control', 'no-store').send(e.body());
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new ApiError(404, 'not-found', `no route ${req.method} ${req.url.split('?')[0]}`);
    return reply.status(404).send(e.body());
  });
  app.addHook('onResponse', async (req, reply) => {
    d.metrics.httpRequests.inc({ route: `${req.method} ${req.routeOptions.url ?? 'unmatched'}`, status: String(reply.statusCode) });
  });

  const t = new RouteTable(app, d.market.accounts);
  sessionRoutes(t, d.market);
  accountRoutes(t, d.market);
  siteRoutes(t, d.market);
  inventoryRoutes(t, d.market, d.currency);
  campaignRoutes(t, d.market);
  creativeRoutes(t, d.market);
  fleetRoutes(t, d.fleet);
  const doc = openApiDocument(t.specs, '1.0.0');
  app.get('/api/v1/openapi.json', async (_req, reply) => reply.header('cache-control', 'no-cache').send(doc));
  await app.ready();
  return {
    app,
    handle: (req, res) => app.routing(req, res),
    close: () => app.close(),
  };
}
