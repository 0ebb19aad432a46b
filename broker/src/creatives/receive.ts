// An upload body onto disk: streamed (never held in memory), capped, hashed as it goes, and
// flushed before it counts (DESIGN.md rule 2). On any failure the partial file is removed.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UploadError } from './upload-rules.js';

export interface Received {
  sha256: string;
  bytes: number;
}

export async function receiveToFile(body: AsyncIterable<Buffer | Uint8Array>, path: string, maxBytes: number, signal: AbortSignal): Promise<Received> {
  const hash = createHash('sha256');
  let bytes = 0;
  let over = false;
  const meter = new Transform({
    transform(chunk: Buffer | Uint8Array | string, _enc, cb) {
      if (typeof chunk === 'string') return cb(new TypeError('body: bytes, not strings'));
      bytes += chunk.length;
      if (bytes > maxBytes) {
        over = true;
        return cb(new UploadError('too-large', { maxBytes, readBytes: bytes }));
      }
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  // Opened first and awaited closed after: pipeline() settles before the file stream has
  // closed, and a file removed then would be re-created by the late open or flushed after.
  const out = (await open(path, 'wx', 0o600)).createWriteStream({ flush: true });
  const closed = out.closed ? Promise.resolve() : once(out, 'close').then(() => undefined);
  try {
    await pipeline(body, meter, out, { signal });
    await closed;
  } catch (err) {
    await closed.catch(() => undefined);
    rmSync(path, { force: true });
    if (over) throw new UploadError('too-large', { maxBytes, readBytes: bytes });
    if (signal.aborted) throw new UploadError('stopped');
    // A file-system error (ENOSPC, EACCES) is ours; anything else came from the body.
    const e = err as NodeJS.ErrnoException;
    throw new UploadError(e.syscall ? 'internal' : 'body', { readBytes: bytes, error: e.message });
  }
  if (bytes === 0) {
    rmSync(path, { force: true });
    throw new UploadError('empty');
  }
  return { sha256: hash.digest('hex'), bytes };
}
