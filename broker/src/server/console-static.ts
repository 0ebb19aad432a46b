// Serves the built web console (broker/console/dist) under /console/: hashed assets cached
// for good, index.html revalidated every time, any other path under /console/ answered with
// index.html (the console routes in the browser), and nothing outside the dist dir.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` puts the console. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist/', import.meta.url));
export const CONSOLE_PREFIX = '/console/';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';
// Vite names built files <name>-<8+ char hash>.<ext> under assets/.
const HASHED = /^assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
// The console talks only to its own origin; charts draw on canvas, previews are same-origin.
const CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<number>;

/** A handler for paths under /console/ (the caller routes them here). Returns the status sent. */
export function consoleStatic(dir: string = CONSOLE_DIST): ConsoleHandler {
  const root = resolve(dir);
  return async (req, res, pathname) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'GET or HEAD\n', { allow: 'GET, HEAD' });
    if (pathname === '/console') return redirect(res, CONSOLE_PREFIX);
    if (!pathname.startsWith(CONSOLE_PREFIX)) return plain(res, 404, 'not found\n');
    const index = await fileAt(resolve(root, 'index.html'));
    if (!index) return plain(res, 503, 'console not built: run npm run build\n');

    const rel = relativePath(pathname.slice(CONSOLE_PREFIX.length));
    if (rel === null) return plain(res, 400, 'bad path\n');
    if (rel === '' || rel === 'index.html') return send(req, res, index, 'no-cache');
    const file = resolve(root, rel);
    // Belt and braces: relativePath already refused "..", but never leave the root.
    if (!file.startsWith(root + sep)) return plain(res, 400, 'bad path\n');
    const found = await fileAt(file);
    if (found) return send(req, res, found, HASHED.test(rel) ? IMMUTABLE : 'no-cache');
    // A missing file with an extension is a missing file (a stale asset URL), not a route.
    if (rel.startsWith('assets/') || extname(rel) !== '') return plain(res, 404, 'not found\n');
    return send(req, res, index, 'no-cache');
  };
}

/** The decoded path under /console/, or null when it is malformed or tries to climb out. */
export function relativePath(raw: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const parts = decoded.split('/').filter((p) => p !== '' && p !== '.');
  // No parent segments and no dotfiles (nothing in dist starts with a dot).
  if (parts.some((p) => p.startsWith('.'))) return null;
  return parts.join('/');
}

interface Found {
  path: string;
  size: number;
  mtimeMs: number;
}

async function fileAt(path: string): Promise<Found | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? { path, size: s.size, mtimeMs: s.mtimeMs } : null;
  } catch {
    return null;
  }
}

function send(req: IncomingMessage, res: ServerResponse, f: Found, cache: string): Promise<number> {
  const type = TYPES[extname(f.path).toLowerCase()] ?? 'application/octet-stream';
  const etag = `W/"${f.size.toString(16)}-${Math.floor(f.mtimeMs).toString(16)}"`;
  const headers: Record<string, string | number> = {
    'content-type': type,
    'cache-control': cache,
    etag,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  if (type.startsWith('text/html')) headers['content-security-policy'] = CSP;
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return Promise.resolve(304);
  }
  headers['content-length'] = f.size;
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return Promise.resolve(200);
  }
  return new Promise((done) => {
    const stream = createReadStream(f.path);
    stream.on('error', () => res.destroy());
    res.on('close', () => {
      stream.destroy();
      done(200);
    });
    stream.pipe(res);
  });
}

function plain(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): Promise<number> {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra }).end(body);
  return Promise.resolve(status);
}

export function redirect(res: ServerResponse, location: string): Promise<number> {
  res.writeHead(302, { location, 'cache-control': 'no-store' }).end();
  return Promise.resolve(302);
}
