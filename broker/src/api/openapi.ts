// The OpenAPI 3.1 document, generated from the route table's zod schemas (z.toJSONSchema), so
// the document and the validation can never disagree.
import { z } from 'zod';
import type { RouteSpec } from './route.js';

const json = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;

const ErrorSchema = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

function parameters(spec: RouteSpec): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [['path', spec.params], ['query', spec.query]] as const) {
    if (!schema) continue;
    const s = json(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, p] of Object.entries(s.properties ?? {})) out.push({ name, in: where, required: where === 'path' || (s.required ?? []).includes(name), schema: p });
  }
  if (spec.csv) out.push({ name: 'format', in: 'query', required: false, schema: { enum: ['json', 'csv'] } });
  return out;
}

export function openApiDocument(specs: readonly RouteSpec[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const s of specs) {
    const path = s.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const ok = s.produces
      ? { content: { [s.produces]: {} } }
      : { content: { 'application/json': { schema: s.response ? json(s.response, 'output') : {} }, ...(s.csv ? { 'text/csv': {} } : {}) } };
    paths[path] ??= {};
    paths[path][s.method.toLowerCase()] = {
      summary: s.summary,
      tags: [s.tag],
      'x-access': s.access,
      ...(s.access === 'public' ? { security: [] } : {}),
      parameters: parameters(s),
      ...(s.body ? { requestBody: { required: true, content: { 'application/json': { schema: json(s.body, 'input') } } } } : {}),
      ...(s.rawBody ? { requestBody: { required: true, content: { [s.rawBody]: { schema: { type: 'string', format: 'binary' } } } } } : {}),
      responses: {
        [String(s.status ?? 200)]: { description: 'ok', ...ok },
        default: { description: 'error', content: { 'application/json': { schema: json(ErrorSchema, 'output') } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'doorcast marketplace API', version },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, cookie: { type: 'apiKey', in: 'cookie', name: 'dc_session' } },
    },
    security: [{ bearer: [] }, { cookie: [] }],
    paths,
  };
}
