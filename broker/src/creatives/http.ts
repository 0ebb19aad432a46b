// GET/HEAD /creatives/<sha256>: creatives by content hash, to authenticated devices, with
// single-range requests so the agent's cache can resume a download. CLOUD-LINK.md §7
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
  mayFetch(identity: Identity, sha256: string): boolean;
  log: Logger;
}

/** Serves one creative to an authenticated identity; returns the status sent. */
export async function serveCreative(d: CreativeRouteDeps, identity: Identity, sha256: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
  const info = d.creatives.stat(sha256);
  if (!info) return text(res, 404, 'no such creative\n');
  if (!d.mayFetch(identity, sha256)) return text(res, 403, 'creative not in your manifest\n');

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
  const [status, start, end] = range.kind === 'partial' ? [206, range.start, range.end] : [200, 0, info.bytes - 1];
  res.writeHead(status, {
    ...headers,
    'content-length': String(end - start + 1),
    ...(status === 206 ? { 'content-range': `bytes ${start}-${end}/${info.bytes}` } : {}),
  });
  if (req.method === 'HEAD') {
    res.end();
    return status;
  }
  try {
    await pipeline(createReadStream(d.creatives.pathOf(sha256), { start, end }), res);
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
