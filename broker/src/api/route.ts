// One table of routes: each declares its access, zod schemas and summary; the wrapper checks
// the caller, validates params, query and body with field paths, answers CSV on ?format=csv,
// and the same table generates the OpenAPI document (openapi.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Account, AccountStore } from '../market/accounts.js';
import { requireAccount } from './auth.js';
import { toCsv } from './csv.js';
import { ApiError, zodIssues } from './errors.js';

export type Access = 'public' | 'signed-in' | 'operator' | 'merchant';
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteSpec {
  method: Method;
  /** Fastify syntax: /api/v1/sites/:id */
  url: string;
  access: Access;
  summary: string;
  tag: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The request body is a raw stream of this media type (no JSON parse). */
  rawBody?: string;
  response?: z.ZodType;
  /** Success status (default 200). */
  status?: number;
  /** Rows for ?format=csv; the route is not CSV-capable without it. */
  csv?: (result: never, query: Record<string, unknown>) => Record<string, unknown>[];
  /** Non-JSON answers (a PNG): the handler sends the reply itself. */
  produces?: string;
}

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface Ctx<B, Q, P> {
  req: FastifyRequest;
  reply: FastifyReply;
  body: B;
  query: Q;
  params: P;
  /** Null only on public routes. */
  account: Account;
}

const Format = z.object({ format: z.enum(['json', 'csv']).default('json'), table: z.string().max(32).optional() });

function parsePart(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new ApiError(400, 'bad-request', `invalid ${where}`, zodIssues(r.error, where));
  return r.data;
}

/** The request stream of a raw-body route; anything the JSON parser took is the wrong type. */
function rawBody(req: FastifyRequest, type: string): AsyncIterable<Buffer> {
  const b = req.body as { [Symbol.asyncIterator]?: unknown } | undefined;
  if (!b || typeof b[Symbol.asyncIterator] !== 'function') throw new ApiError(415, 'unsupported-media', `send the file itself as ${type} (or application/octet-stream)`);
  return b as AsyncIterable<Buffer>;
}

export class RouteTable {
  readonly specs: RouteSpec[] = [];

  constructor(
    readonly app: FastifyInstance,
    readonly accounts: AccountStore,
  ) {}

  add<S extends RouteSpec>(spec: S, handler: (ctx: Ctx<Out<S['body']>, Out<S['query']>, Out<S['params']>>) => unknown): void {
    this.specs.push(spec);
    this.app.route({
      method: spec.method,
      url: spec.url,
      handler: async (req, reply) => {
        const account = spec.access === 'public' ? (null as unknown as Account) : await requireAccount(this.accounts, req);
        if (spec.access === 'operator' && account.role !== 'operator') throw new ApiError(403, 'forbidden', 'operators only');
        if (spec.access === 'merchant' && account.role !== 'merchant' && account.role !== 'operator') throw new ApiError(403, 'forbidden', 'merchants only');
        const { format, table, ...rest } = Format.passthrough().parse(req.query ?? {}) as { format: 'json' | 'csv'; table?: string } & Record<string, unknown>;
        if (format === 'csv' && !spec.csv) throw new ApiError(400, 'bad-request', 'this route has no CSV form', [{ path: 'query.format', message: 'csv is not offered here' }]);
        const params = parsePart(spec.params, req.params, 'params');
        const query = parsePart(spec.query, rest, 'query');
        const body = spec.rawBody ? rawBody(req, spec.rawBody) : parsePart(spec.body, req.body, 'body');
        const ctx = { req, reply, body, query, params, account } as Ctx<Out<S['body']>, Out<S['query']>, Out<S['params']>>;
        const result = await handler(ctx);
        if (spec.produces) return reply;
        if (format === 'csv') {
          const rows = (spec.csv as (r: unknown, q: Record<string, unknown>) => Record<string, unknown>[])(result, { ...rest, table });
          const name = spec.url.split('/').filter((p) => p && !p.startsWith(':')).slice(2).join('-') || 'export';
          return reply.status(200).header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}${table ? `-${table}` : ''}.csv"`).send(toCsv(rows));
        }
        return reply.status(spec.status ?? 200).header('cache-control', 'no-store').send(result);
      },
    });
  }
}

/** ?limit&cursor on every list (API.md "Pagination"). */
export const PageSchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

export const page = <T>(items: T[], limit: number, cursorOf: (last: T) => string) => ({
  items: items.slice(0, limit),
  nextCursor: items.length > limit ? Buffer.from(cursorOf(items[limit - 1]!)).toString('base64url') : null,
});

export const decodeCursor = (c: string | undefined): string | undefined => (c ? Buffer.from(c, 'base64url').toString('utf8') : undefined);
