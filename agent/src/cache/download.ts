// Fetch a creative by content hash, resuming a partial download with an HTTP Range request,
// never accepting more bytes than the manifest announced, and verifying sha256 before the
// file is moved where the cache will use it.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export class DownloadError extends Error {
  override readonly name = 'DownloadError';
  constructor(
    /** hash and size are the file's fault (quarantine); http and network may pass (retry). */
    readonly code: 'hash' | 'size' | 'http' | 'network',
    message: string,
  ) {
    super(message);
  }
}

export interface Expected {
  sha256: string;
  bytes: number;
}

async function hashFile(path: string): Promise<ReturnType<typeof createHash>> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h;
}

/**
 * Downloads `url` into `part` (resuming what is there), then renames it to `dest` once it is
 * exactly `bytes` long with the right hash. Returns how many bytes came over the network.
 */
export async function download(url: string, part: string, dest: string, want: Expected, o: { headers?: Record<string, string>; fetch?: typeof fetch; signal?: AbortSignal } = {}): Promise<number> {
  let have = existsSync(part) ? statSync(part).size : 0;
  if (have > want.bytes) {
    rmSync(part);
    have = 0;
  }
  let res: Response;
  try {
    res = await (o.fetch ?? fetch)(url, { headers: { ...o.headers, ...(have > 0 ? { range: `bytes=${have}-` } : {}) }, signal: o.signal ?? AbortSignal.timeout(10 * 60_000) });
  } catch (err) {
    throw new DownloadError('network', `${url}: ${(err as Error).message}`);
  }
  let append = false;
  if (res.status === 206 && have > 0 && new RegExp(`^bytes ${have}-`).test(res.headers.get('content-range') ?? '')) append = true;
  else if (res.status === 200) have = 0;
  else if (res.status === 416 && have === want.bytes) append = true;
  else {
    await res.body?.cancel();
    throw new DownloadError('http', `${url}: HTTP ${res.status}`);
  }
  const hash = append && have > 0 ? await hashFile(part) : createHash('sha256');
  let total = have;
  let received = 0;
  if (res.body && res.status !== 416) {
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream).map((chunk: Buffer) => {
      total += chunk.length;
      received += chunk.length;
      if (total > want.bytes) throw new DownloadError('size', `${url}: more than the announced ${want.bytes} bytes`);
      hash.update(chunk);
      return chunk;
    });
    try {
      await pipeline(body, createWriteStream(part, { flags: append ? 'a' : 'w' }));
    } catch (err) {
      if (err instanceof DownloadError) throw err;
      // Kept: the next attempt resumes from here.
      throw new DownloadError('network', `${url}: cut after ${total} of ${want.bytes} bytes (${(err as Error).message})`);
    }
  }
  if (total < want.bytes) throw new DownloadError('network', `${url}: ended after ${total} of ${want.bytes} bytes`);
  const got = hash.digest('hex');
  if (got !== want.sha256) throw new DownloadError('hash', `${url}: sha256 ${got}, the manifest says ${want.sha256}`);
  renameSync(part, dest);
  return received;
}
