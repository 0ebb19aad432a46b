// Agent updates from the cloud: a release package (tar.gz of the agent directory) fetched by
// URL, verified by sha256 and size before anything is unpacked, unpacked beside the running
// one, and switched in with one atomic symlink rename. The switch is provisional: the next
// starts are counted by the guard (guard.ts) and rolled back unless the new agent confirms it
// is healthy in time.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { z } from 'zod';
import { writeFileAtomic } from '../state/atomic-file.js';

export const ReleaseSchema = z.strictObject({
  version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/, 'version: 1–64 of 0-9 A-Z a-z . + -'),
  url: z.string().url(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256: 64 lowercase hex'),
  bytes: z.int().min(1).max(512 * 2 ** 20),
});
export type Release = z.infer<typeof ReleaseSchema>;

export const PendingSchema = z.strictObject({ from: z.string(), to: z.string(), attempts: z.int().min(0), deadlineMs: z.number(), stagedAt: z.string() });
export type Pending = z.infer<typeof PendingSchema>;

export class UpdateError extends Error {
  override readonly name = 'UpdateError';
  constructor(
    readonly code: 'download' | 'size' | 'hash' | 'unpack' | 'layout' | 'busy',
    message: string,
  ) {
    super(message);
  }
}

/** Where releases live: <root>/releases/<version>/, <root>/current → one of them. */
export class ReleaseRoot {
  constructor(readonly root: string) {}
  get current(): string {
    return join(this.root, 'current');
  }
  get pending(): string {
    return join(this.root, 'update-pending.json');
  }
  get last(): string {
    return join(this.root, 'update-last.json');
  }
  release(version: string): string {
    return join(this.root, 'releases', version);
  }
  /** The directory `current` points at, or null before the first install. */
  target(): string | null {
    try {
      return readlinkSync(this.current);
    } catch {
      return null;
    }
  }
  /** Atomic: a new link beside the old, renamed over it. */
  point(target: string): void {
    const tmp = `${this.current}.new`;
    rmSync(tmp, { force: true });
    symlinkSync(target, tmp);
    renameSync(tmp, this.current);
  }
}

export async function stageRelease(r: Release, root: ReleaseRoot, o: { confirmWithinMs?: number; now?: number; fetch?: typeof fetch } = {}): Promise<Pending> {
  const rel = ReleaseSchema.parse(r);
  if (existsSync(root.pending)) throw new UpdateError('busy', 'an update is already waiting for confirmation');
  const downloads = join(root.root, 'downloads');
  mkdirSync(downloads, { recursive: true });
  const file = join(downloads, `${rel.version}.tgz`);
  let res: Response;
  try {
    res = await (o.fetch ?? fetch)(rel.url, { signal: AbortSignal.timeout(10 * 60_000) });
  } catch (err) {
    throw new UpdateError('download', `cannot fetch ${rel.url} (${(err as Error).message})`);
  }
  if (!res.ok || !res.body) throw new UpdateError('download', `${rel.url}: HTTP ${res.status}`);
  const hash = createHash('sha256');
  let seen = 0;
  const counted = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream).map((chunk: Buffer) => {
    seen += chunk.length;
    if (seen > rel.bytes) throw new UpdateError('size', `more than the announced ${rel.bytes} bytes`);
    hash.update(chunk);
    return chunk;
  });
  try {
    await pipeline(counted, createWriteStream(file));
  } catch (err) {
    rmSync(file, { force: true });
    throw err instanceof UpdateError ? err : new UpdateError('download', (err as Error).message);
  }
  const got = hash.digest('hex');
  if (seen !== rel.bytes || got !== rel.sha256) {
    rmSync(file, { force: true });
    throw new UpdateError(seen !== rel.bytes ? 'size' : 'hash', `package ${rel.version}: ${seen} bytes sha256 ${got}, expected ${rel.bytes} bytes ${rel.sha256}`);
  }
  const dest = root.release(rel.version);
  const tmp = `${dest}.unpacking`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await promisify(execFile)('tar', ['-xzf', file, '-C', tmp, '--no-same-owner'], { timeout: 5 * 60_000 });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw new UpdateError('unpack', `cannot unpack ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!existsSync(join(tmp, 'bin', 'doorcast.js'))) {
    rmSync(tmp, { recursive: true, force: true });
    throw new UpdateError('layout', 'the package has no bin/doorcast.js at its top level');
  }
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  rmSync(file, { force: true });
  const now = o.now ?? Date.now();
  const pending: Pending = { from: root.target() ?? '', to: dest, attempts: 0, deadlineMs: now + (o.confirmWithinMs ?? 10 * 60_000), stagedAt: new Date(now).toISOString() };
  // The pending record first: a power cut between the two leaves a switch the guard can undo.
  writeFileAtomic(root.pending, JSON.stringify(pending), 0o600);
  root.point(dest);
  return pending;
}
