// Runs before every agent start (ExecStartPre=doorcast update guard) and once the agent is
// healthy (confirm). A switched-in release that fails to confirm within its deadline or
// within `maxAttempts` starts is switched back, so a bad update cannot keep a gate dark.
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { writeFileAtomic } from '../state/atomic-file.js';
import { type Pending, PendingSchema, type ReleaseRoot } from './release.js';

export type GuardAction = { action: 'none' } | { action: 'trying'; attempt: number; to: string } | { action: 'rolled-back'; from: string; to: string; reason: string };

function readPending(root: ReleaseRoot): Pending | null {
  if (!existsSync(root.pending)) return null;
  const r = PendingSchema.safeParse(JSON.parse(readFileSync(root.pending, 'utf8')));
  return r.success ? r.data : null;
}

export function guardStart(root: ReleaseRoot, o: { now?: number; maxAttempts?: number; base?: string } = {}): GuardAction {
  // First start on a fresh image: `current` begins at the release the image installed.
  if (o.base && root.target() === null) {
    mkdirSync(root.root, { recursive: true });
    root.point(o.base);
  }
  const p = readPending(root);
  if (!p) return { action: 'none' };
  const now = o.now ?? Date.now();
  const attempt = p.attempts + 1;
  const reason = attempt > (o.maxAttempts ?? 3) ? `${p.attempts} starts without confirming` : now > p.deadlineMs ? 'not confirmed before the deadline' : null;
  if (reason) {
    if (p.from) root.point(p.from);
    writeFileAtomic(root.last, JSON.stringify({ outcome: 'rolled-back', release: p.to, restored: p.from, reason, at: new Date(now).toISOString() }), 0o600);
    renameSync(root.pending, `${root.pending}.done`);
    return { action: 'rolled-back', from: p.to, to: p.from, reason };
  }
  writeFileAtomic(root.pending, JSON.stringify({ ...p, attempts: attempt }), 0o600);
  return { action: 'trying', attempt, to: p.to };
}

/** The new release is healthy: keep it. Returns false when there was nothing to confirm. */
export function confirmUpdate(root: ReleaseRoot, now = Date.now()): boolean {
  const p = readPending(root);
  if (!p) return false;
  writeFileAtomic(root.last, JSON.stringify({ outcome: 'confirmed', release: p.to, previous: p.from, at: new Date(now).toISOString() }), 0o600);
  renameSync(root.pending, `${root.pending}.done`);
  return true;
}
