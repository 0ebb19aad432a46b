// A small file in a state dir, made once: written under a private temp name, fsynced, and
// linked into place. link() fails if the file exists, so of several processes creating it at
// once exactly one wins and every one reads the winner's (a rename would let the last writer
// replace a file others already use).
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Creates `path` with `data` (mode 0600) unless it exists; durable when it returns. */
export function createFileOnce(path: string, data: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  fsyncDir(dirname(path));
}

/** A new name (link, rename) in `dir` is durable only once the directory is flushed. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
