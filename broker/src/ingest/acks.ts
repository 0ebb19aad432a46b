// Building application acks. Pure. CLOUD-LINK.md §5.3
import type { Ack, RejectReason } from '../contract.js';
import { toRanges } from '../contract.js';
import type { CommitResult } from '../store/impression-store.js';

export type BatchKind = 'impressions' | 'door-counts';

/** Every seq of the batch is durable now (stored by this commit or an earlier one). */
export function committedAck(kind: BatchKind, batchId: string, r: CommitResult, now: Date): Ack {
  const ack: Ack = { batchId, kind, status: 'committed', seqs: toRanges([...r.inserted, ...r.duplicates, ...r.conflicts]), ts: now.toISOString() };
  if (r.conflicts.length > 0) ack.conflicts = toRanges(r.conflicts);
  return ack;
}

export function rejectedAck(kind: BatchKind, batchId: string, reason: RejectReason, path: string, detail: string, now: Date): Ack {
  const ack: Ack = { batchId, kind, status: 'rejected', seqs: [], reason, detail: detail.slice(0, 512), ts: now.toISOString() };
  if (path) ack.path = path.slice(0, 256);
  return ack;
}
