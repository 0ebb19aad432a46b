// GET/HEAD /creatives/<sha256>: creatives by content hash, to authenticated devices, with
// single-range requests so the agent's cache can resume a download. CLOUD-LINK.md §7
// Clustered, a creative added on another node is fetched into this node's cache first.
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Identity } from '../auth/usernames.js';
import type { Logger } from '../obs/log.js';
import type { CreativeStore } from './creative-store.js';
import { parseRange } from './range.js';

export interface CreativeRouteDeps {
  creatives: CreativeStore;
  /** May this identity fetch this creative? Devices: only what their manifest lists. */
  mayFetch(identity: Identity, sha256: string): boolean | Promise<boolean>;
  log: Logger;
}

/** Serves one creative to an authenticated identity; returns the status sent. */
export async function serveCreative(d: CreativeRouteDeps, identity: Identity, sha256: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
  const info = await d.creatives.stat(sha256);
  if (!info) return text(res, 404, 'no such creative\n');
  // Awaited: a Promise would be truthy, and the check would pass for everyone.
  if (!(await d.mayFetch(identity, sha256))) return text(res, 403, 'creative not in your manifest\n');

  const etag = `"${sha256}"`;
  // If-Range: resume only if the representation is the one the client started with.
  const ifRange = req.headers['if-range'];
  const range = ifRange !== undefined && ifRange !== etag ? ({ kind: 'full' } as const) : parseRange(req.headers.range, info.bytes);
  const headers = {
    'accept-ranges': 'bytes',
    'content-type': 'application/octet-stream',
    etag,
    'cache-control': 'private, max-age=31536000, immutable',
  };
  if (range.kind === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${info.bytes}` }).end();
    return 416;
  }
  // Clustered, this node may have only the shared copy: fetch it before the status line, so a
  // failure can still be answered. HEAD needs only the size.
  let path: string | null = null;
  if (req.method !== 'HEAD') {
    try {
      path = await d.creatives.ensureLocal(sha256);
    } catch (err) {
      d.log.error({ err, sha256 }, 'creative could not be fetched from the shared store');
      return text(res, 503, 'creative temporarily unavailable\n', { 'retry-after': '30' });
    }
    if (!path) return text(res, 404, 'no such creative\n');
  }
  const [status, start, end] = range.kind === 'partial' ? [206, range.start, range.end] : [200, 0, info.bytes - 1];
  res.writeHead(status, {
    ...headers,
    'content-length': String(end - start + 1),
    ...(status === 206 ? { 'content-range': `bytes ${start}-${end}/${info.bytes}` } : {}),
  });
  if (path === null) {
    res.end();
    return status;
  }
  try {
    await pipeline(createReadStream(path, { start, end }), res);
  } catch (err) {
    // Client went away mid-download: normal for a resumable cache.
    d.log.debug({ err, sha256 }, 'creative download ended early');
  }
  return status;
}

export function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): number {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(body);
  return status;
}
