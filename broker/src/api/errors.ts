// Every API failure is one JSON shape: {error, message, issues?} (API.md "Errors"). Domain
// errors map to a status here, and nowhere else.
import { ZodError } from 'zod';
import { CreativeError } from '../creatives/creative-store.js';
import { UploadError } from '../creatives/uploads.js';
import { MarketError } from '../market/errors.js';

export type ApiErrorCode =
  | 'bad-request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'too-large'
  | 'unsupported-media'
  | 'unplayable'
  | 'rate-limited'
  | 'unavailable'
  | 'internal';

export interface Issue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly issues?: Issue[],
    readonly extra?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}), ...this.extra };
  }
}

/** Zod issues with their location prefixed: 'body.dates.to', 'query.lat'. */
export function zodIssues(err: ZodError, where: string): Issue[] {
  return err.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
}

const MARKET_STATUS = { 'not-found': 404, exists: 409, conflict: 409, invalid: 400, forbidden: 403 } as const;
const UPLOAD_STATUS = { 'too-large': 413, empty: 400, unplayable: 422, unsupported: 415, io: 503 } as const;
/** Within 'io': the client broke off (400), our fault (500), or come back later (503, the default). */
const IO_STATUS: Record<string, 400 | 500> = { body: 400, internal: 500, probe: 500, 'original-lost': 500 };

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ZodError) return new ApiError(400, 'bad-request', 'the request does not match the schema', zodIssues(err, 'body'));
  if (err instanceof MarketError) {
    const status = MARKET_STATUS[err.code];
    const code = status === 404 ? 'not-found' : status === 409 ? 'conflict' : status === 403 ? 'forbidden' : 'bad-request';
    return new ApiError(status, code, err.message, err.path ? [{ path: err.path, message: err.message }] : undefined, err.details);
  }
  if (err instanceof UploadError) {
    const status = (err.code === 'io' ? IO_STATUS[err.reason] : undefined) ?? UPLOAD_STATUS[err.code];
    const code = status === 500 ? 'internal' : status === 413 ? 'too-large' : status === 422 ? 'unplayable' : status === 415 ? 'unsupported-media' : status === 503 ? 'unavailable' : 'bad-request';
    return new ApiError(status, code, err.message, undefined, { reason: err.reason });
  }
  // Reading a stored file (a preview) failed, here or fetching it from the shared store.
  if (err instanceof CreativeError) return new ApiError(503, 'unavailable', 'the file is temporarily unavailable; try again shortly', undefined, undefined, { 'retry-after': '30' });
  const f = err as { code?: string; statusCode?: number; message?: string };
  if (f.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ApiError(413, 'too-large', 'the request body is too large');
  if (f.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new ApiError(415, 'unsupported-media', 'send application/json (or video bytes to the upload route)');
  if (f.statusCode === 400 || f.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError) return new ApiError(400, 'bad-request', `the body is not valid JSON: ${f.message ?? ''}`.trim());
  return new ApiError(500, 'internal', 'internal error');
}
