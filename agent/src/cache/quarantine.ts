// Bad creatives are moved aside, not deleted, with a note saying why, so an operator can see
// what the server sent. The folder is bounded (count and bytes): the oldest go first.
import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface QuarantineLimits {
  maxFiles: number;
  maxBytes: number;
}

/** Moves `file` (if any) to `<dir>/<sha>.<reason>.<n>` with a `.json` note; returns the new path. */
export function quarantineFile(dir: string, file: string, note: { sha256: string; reason: string; count: number; message: string; at: number }, limits: QuarantineLimits): string | null {
  const base = join(dir, `${note.sha256}.${note.reason}.${note.count}`);
  writeFileSync(`${base}.json`, JSON.stringify({ ...note, at: new Date(note.at).toISOString() }), { mode: 0o600 });
  let moved: string | null = null;
  if (existsSync(file)) {
    renameSync(file, base);
    moved = base;
  }
  prune(dir, limits);
  return moved;
}

/** Removes the oldest quarantined files (and their notes) past the limits. Notes are tiny and kept with their file. */
export function prune(dir: string, limits: QuarantineLimits): string[] {
  const files = readdirSync(dir)
    .filter((n) => !n.endsWith('.json'))
    .map((n) => {
      const s = statSync(join(dir, n));
      return { name: n, bytes: s.size, mtime: s.mtimeMs };
    })
    .sort((a, b) => b.mtime - a.mtime || (a.name < b.name ? 1 : -1));
  const removed: string[] = [];
  let bytes = 0;
  files.forEach((f, i) => {
    bytes += f.bytes;
    if (i >= limits.maxFiles || bytes > limits.maxBytes) {
      rmSync(join(dir, f.name), { force: true });
      rmSync(join(dir, `${f.name}.json`), { force: true });
      removed.push(f.name);
    }
  });
  // Notes whose file was never there (nothing to move) count against the same file limit.
  const notes = readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .map((n) => ({ name: n, mtime: statSync(join(dir, n)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime || (a.name < b.name ? 1 : -1));
  for (const n of notes.slice(limits.maxFiles * 2)) rmSync(join(dir, n.name), { force: true });
  return removed;
}
