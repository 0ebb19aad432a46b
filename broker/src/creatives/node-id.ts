// The id of a workDir, and so of the node that owns it: recorded on the upload rows whose
// originals it holds. Made once, durably; a workDir copied to another host keeps its uploads.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFileOnce } from '../db/state-file.js';

const NODE_ID = /^[0-9a-f-]{36}$/;

/** Throws if the file is there but is not an id (a hand edit): guessing would orphan uploads. */
export function loadOrCreateNodeId(dir: string): string {
  const path = join(dir, 'node-id');
  try {
    const id = readFileSync(path, 'utf8').trim();
    if (!NODE_ID.test(id)) throw new Error(`${path}: not a node id (${JSON.stringify(id.slice(0, 40))}); restore it or remove it to start afresh`);
    return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  createFileOnce(path, `${randomUUID()}\n`);
  return loadOrCreateNodeId(dir);
}
