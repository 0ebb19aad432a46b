// Fetch one creative by content hash over HTTP(S) (CLOUD-LINK.md §7): resume a partial file
// with a Range request, never accept more bytes than the manifest announced, hash while
// writing, and only after fsync and a matching sha256 rename it to where the cache uses it.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname } from 'node:path';
import { CacheError } from './errors.js';
import { fsyncDir } from './layout.js';

export interface DownloadTarget {
  url: URL;
  sha256: string;
  /** Exact size from the manifest: also the hard limit on what is read. */
  bytes: number;
  /** The resumable partial file. */
  part: string;
  /** Where the verified file goes (same file system as `part`). */
  dest: string;
}

export interface DownloadOptions {
  /** Sent only to `credentialsOrigin` (a CDN never sees the device's password). */
  authorization?: string | undefined;
  credentialsOrigin?: string | undefined;
  signal?: AbortSignal | undefined;
  /** No byte for this long: give up (the .part is kept). Default 30 s. */
  idleTimeoutMs?: number | undefined;
  /** Whole download, all requests. Default 30 min. */
  deadlineMs?: number | undefined;
  /** Called as bytes arrive: `have` of `total` are on disk. */
  onProgress?: ((have: number, total: number) => void) | undefined;
}

export interface DownloadResult {
  /** Bytes that came over the network in this call. */
  received: number;
  /** Where the download resumed (0 when it started from the beginning). */
  resumedFrom: number;
}

const MAX_REDIRECTS = 3;

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashOf(path: string, h: Hash): Promise<Hash> {
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h;
}

/** "bytes a-b/size" → its numbers; anything else (incl. "*" sizes) → null. */
export function parseContentRange(v: string | undefined): { start: number; end: number; size: number } | null {
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(v?.trim() ?? '');
  return m ? { start: Number(m[1]), end: Number(m[2]), size: Number(m[3]) } : null;
}

function get(url: URL, headers: Record<string, string>, idleMs: number, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'GET', headers, signal });
    let response: IncomingMessage | undefined;
    // The idle timeout keeps applying while the body streams (it is the socket's).
    req.setTimeout(idleMs, () => {
      const e = new CacheError('timeout', `${safeUrl(url)}: no data for ${idleMs} ms`, { url: safeUrl(url) });
      response?.destroy(e);
      req.destroy(e);
    });
    req.on('response', (res) => {
      response = res;
      resolve(res);
    });
    req.on('error', (err) => reject(err));
    req.end();
  });
}

/** What may be logged of a URL: origin and path, never the query (signed URLs carry tokens). */
export function safeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function classify(err: unknown, url: URL, signal: AbortSignal | undefined, deadline: AbortSignal): CacheError {
  if (err instanceof CacheError) return err;
  if (deadline.aborted && !signal?.aborted) return new CacheError('timeout', `${safeUrl(url)}: download deadline passed`, { url: safeUrl(url) });
  if (signal?.aborted) return new CacheError('stopped', `${safeUrl(url)}: stopped`, { url: safeUrl(url) });
  return new CacheError('network', `${safeUrl(url)}: ${(err as Error).message}`, { url: safeUrl(url) }, { cause: err });
}

/**
 * Downloads `t.url` into `t.part`, resuming what is there, and renames it to `t.dest` once it
 * is exactly `t.bytes` long with the right sha256. On a network error the part is kept; on
 * too-large or integrity errors it is left for the caller to quarantine.
 */
export async function download(t: DownloadTarget, o: DownloadOptions = {}): Promise<DownloadResult> {
  const idleMs = o.idleTimeoutMs ?? 30_000;
  const deadline = AbortSignal.timeout(o.deadlineMs ?? 30 * 60_000);
  const signal = o.signal ? AbortSignal.any([o.signal, deadline]) : deadline;
  let have = await sizeOf(t.part);
  if (have > t.bytes) {
    await rm(t.part, { force: true });
    have = 0;
  }
  const resumedFrom = have;
  let url = t.url;
  let received = 0;
  let redirects = 0;
  // At most: one ranged request, one fresh request when the range was not honoured, redirects.
  for (let attempt = 0; attempt < 2 + MAX_REDIRECTS; attempt++) {
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (o.authorization && url.origin === o.credentialsOrigin) headers.authorization = o.authorization;
    if (have > 0) headers.range = `bytes=${have}-`;
    let res: IncomingMessage;
    try {
      res = await get(url, headers, idleMs, signal);
    } catch (err) {
      throw classify(err, url, o.signal, deadline);
    }
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location && redirects < MAX_REDIRECTS) {
      res.resume();
      redirects++;
      url = new URL(res.headers.location, url);
      continue;
    }
    let append: boolean;
    if (status === 206 && have > 0) {
      const cr = parseContentRange(res.headers['content-range']);
      append = cr !== null && cr.start === have && cr.end === t.bytes - 1 && cr.size === t.bytes;
      if (!append) {
        // A range other than the one asked for: start over rather than splice mismatched bytes.
        res.destroy();
        await rm(t.part, { force: true });
        have = 0;
        continue;
      }
    } else if (status === 416 && have === t.bytes) {
      res.resume();
      append = true;
    } else if (status === 416 && have > 0) {
      res.resume();
      await rm(t.part, { force: true });
      have = 0;
      continue;
    } else if (status === 200) {
      append = false;
      have = 0;
    } else {
      res.resume();
      throw new CacheError('http', `${safeUrl(url)}: HTTP ${status}`, { url: safeUrl(url), status });
    }
    const length = Number(res.headers['content-length'] ?? Number.NaN);
    if (status !== 416 && Number.isFinite(length) && have + length > t.bytes) {
      res.destroy();
      throw new CacheError('too-large', `${safeUrl(url)}: Content-Length ${length} is more than the announced ${t.bytes - have} bytes`, { url: safeUrl(url), announced: t.bytes });
    }
    const hash = append && have > 0 ? await hashOf(t.part, createHash('sha256')) : createHash('sha256');
    const fh = await open(t.part, append ? 'a' : 'w', 0o600);
    let total = have;
    try {
      if (status !== 416) {
        try {
          for await (const chunk of res as AsyncIterable<Buffer>) {
            if (total + chunk.length > t.bytes) {
              res.destroy();
              throw new CacheError('too-large', `${safeUrl(url)}: more than the announced ${t.bytes} bytes`, { url: safeUrl(url), announced: t.bytes });
            }
            hash.update(chunk);
            await fh.write(chunk);
            total += chunk.length;
            received += chunk.length;
            o.onProgress?.(total, t.bytes);
          }
        } catch (err) {
          throw classify(err, url, o.signal, deadline);
        }
        // A body that ended cleanly but short of its Content-Length was cut.
        if (!res.complete) throw new CacheError('network', `${safeUrl(url)}: cut after ${total} of ${t.bytes} bytes`, { url: safeUrl(url), have: total });
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (total < t.bytes) throw new CacheError('integrity', `${safeUrl(url)}: the server sent ${total} bytes, the manifest says ${t.bytes}`, { url: safeUrl(url), got: total, bytes: t.bytes, resumedFrom });
    const got = hash.digest('hex');
    if (got !== t.sha256) throw new CacheError('integrity', `${safeUrl(url)}: sha256 ${got}, the manifest says ${t.sha256}`, { url: safeUrl(url), got, resumedFrom });
    await rename(t.part, t.dest);
    fsyncDir(dirname(t.dest));
    return { received, resumedFrom };
  }
  throw new CacheError('http', `${safeUrl(t.url)}: too many redirects or unusable ranges`, { url: safeUrl(t.url) });
}
