// The console's one door to the API: JSON in and out, the session token as a bearer (the
// HttpOnly cookie also works; the bearer keeps working where a cookie is refused).
import type { ConflictSlot } from './types';

export const API = '/api/v1';
const TOKEN_KEY = 'dc_token';

export interface ErrorBody {
  error: string;
  message?: string;
  issues?: { path: string; message: string }[];
  slots?: ConflictSlot[];
  /** Upload refusals: the machine code (the message is its sentence in English). */
  reason?: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message ?? body.error);
  }
}

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (t: string | null) => (t ? sessionStorage.setItem(TOKEN_KEY, t) : sessionStorage.removeItem(TOKEN_KEY)),
};

export function authHeaders(): Record<string, string> {
  const t = token.get();
  return t ? { authorization: `Bearer ${t}` } : {};
}

async function errorBody(res: Response): Promise<ErrorBody> {
  try {
    return (await res.json()) as ErrorBody;
  } catch {
    return { error: res.status === 404 ? 'not-found' : 'internal', message: res.statusText };
  }
}

export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(API + path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new ApiError(res.status, await errorBody(res));
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string) => api<T>('GET', path);

/** A query string from the defined entries. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
  const out = s.toString();
  return out ? `?${out}` : '';
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

/** PUT raw bytes with upload progress (fetch has none). Resolves with the JSON answer. */
export function uploadRaw<T>(path: string, file: Blob, onProgress: (p: UploadProgress) => void): { done: Promise<T>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<T>((resolve, reject) => {
    xhr.open('PUT', API + path);
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = { error: 'internal', message: xhr.statusText };
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else reject(new ApiError(xhr.status, body as ErrorBody));
    };
    xhr.onerror = () => reject(new ApiError(0, { error: 'network' }));
    xhr.onabort = () => reject(new ApiError(0, { error: 'aborted' }));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}
