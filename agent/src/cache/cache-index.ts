// The cache's memory across restarts: which creatives are transcoded (for which profile),
// when each last played (LRU), what probe said about them, and which hashes were rejected
// and until when. Persisted with write-then-rename; validated when read, so a damaged file
// only costs re-fetching, never a crash. `doorcast status` reads `ready` (status.ts).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../state/atomic-file.js';

const Sha = z.string().regex(/^[0-9a-f]{64}$/);

export const ReadyEntrySchema = z.object({
  bytes: z.int().min(0),
  lastUsed: z.number(),
  durationMs: z.number().nullable(),
  /** profileKey() of the screen profile it was transcoded for. */
  profile: z.string(),
  width: z.int().min(1).optional(),
  height: z.int().min(1).optional(),
  fps: z.number().positive().optional(),
});
export type ReadyEntry = z.infer<typeof ReadyEntrySchema>;

export const RejectionSchema = z.object({
  reason: z.string(),
  /** Not fetched again before this (ms since epoch). */
  until: z.number(),
  count: z.int().min(1),
});
export type Rejection = z.infer<typeof RejectionSchema>;

export const CacheIndexSchema = z.object({
  version: z.literal(1),
  ready: z.record(Sha, ReadyEntrySchema),
  rejected: z.record(Sha, RejectionSchema),
});
export type CacheIndex = z.infer<typeof CacheIndexSchema>;

export const emptyIndex = (): CacheIndex => ({ version: 1, ready: {}, rejected: {} });

/** The index at `path`, or an empty one (first start, or damaged: the reason is returned). */
export function loadIndex(path: string): { index: CacheIndex; problem: string | null } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { index: emptyIndex(), problem: null };
  }
  try {
    const r = CacheIndexSchema.safeParse(JSON.parse(text));
    if (r.success) return { index: r.data, problem: null };
    const i = r.error.issues[0];
    return { index: emptyIndex(), problem: `${i?.path.join('.') || '(root)'}: ${i?.message ?? 'invalid'}` };
  } catch (err) {
    return { index: emptyIndex(), problem: (err as Error).message };
  }
}

export function saveIndex(path: string, index: CacheIndex): void {
  writeFileAtomic(path, JSON.stringify(index), 0o600);
}

export function totalBytes(ready: Readonly<Record<string, Pick<ReadyEntry, 'bytes'>>>): number {
  let n = 0;
  for (const e of Object.values(ready)) n += e.bytes;
  return n;
}

/**
 * Pure: which creatives to evict to get under `maxBytes`, least recently used first, never
 * one in `keep`. `over` > 0 when the kept set alone does not fit (it is kept regardless).
 */
export function chooseEvictions(ready: Readonly<Record<string, Pick<ReadyEntry, 'bytes' | 'lastUsed'>>>, keep: ReadonlySet<string>, maxBytes: number): { evict: string[]; over: number } {
  let total = totalBytes(ready);
  const evict: string[] = [];
  const candidates = Object.entries(ready)
    .filter(([sha]) => !keep.has(sha))
    // Ties broken by hash, so the choice is the same on every run.
    .sort((a, b) => a[1].lastUsed - b[1].lastUsed || (a[0] < b[0] ? -1 : 1));
  for (const [sha, e] of candidates) {
    if (total <= maxBytes) break;
    evict.push(sha);
    total -= e.bytes;
  }
  return { evict, over: Math.max(0, total - maxBytes) };
}

/** Not fetched again for 10 min after a first rejection, doubling up to a day. */
export function rejectionBackoffMs(count: number): number {
  return Math.min(86_400_000, 600_000 * 2 ** Math.max(0, count - 1));
}
