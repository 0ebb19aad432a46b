// Ingestion of impression and door-count batches: validate, commit idempotently in one
// transaction, and only after the commit publish the application ack. DESIGN.md rule 2,
// CLOUD-LINK.md §5.3.
import { type Ack, type DeviceRef, parse, type RejectReason, salvageBatchId } from '../contract.js';
import type { Logger } from '../obs/log.js';
import type { BrokerMetrics } from '../obs/metrics.js';
import type { BatchMeta, CommitResult, ImpressionStore } from '../store/impression-store.js';
import { type BatchKind, committedAck, rejectedAck } from './acks.js';

export type IngestOutcome =
  | { status: 'committed'; batchId: string; result: CommitResult }
  | { status: 'rejected'; batchId: string | null; reason: string; path: string }
  | { status: 'store-failed'; batchId: string };

type Validated =
  | { ok: true; batchId: string; commit(meta: BatchMeta): Promise<CommitResult> }
  | { ok: false; batchId: string | null; reason: RejectReason; path: string; message: string };

/** A batch must name its sender: the authenticated device. */
function sender(ref: DeviceRef, b: { batchId: string; site: string; device: string }, commit: (meta: BatchMeta) => Promise<CommitResult>): Validated {
  if (b.site === ref.site && b.device === ref.device) return { ok: true, batchId: b.batchId, commit };
  const message = `batch names ${b.site}/${b.device}, sender is ${ref.site}/${ref.device}`;
  return { ok: false, batchId: b.batchId, reason: 'wrong-device', path: b.site !== ref.site ? 'site' : 'device', message };
}

export interface IngestorOptions {
  store: ImpressionStore;
  /** Publishes an ack to the device's ack topic (QoS 1); resolves when handed to the broker. */
  publishAck(ref: DeviceRef, ack: Ack): Promise<void>;
  metrics: BrokerMetrics;
  log: Logger;
  now?: () => Date;
}

export class Ingestor {
  readonly #o: IngestorOptions;
  readonly #now: () => Date;

  constructor(o: IngestorOptions) {
    this.#o = o;
    this.#now = o.now ?? (() => new Date());
  }

  async ingest(kind: BatchKind, ref: DeviceRef, payload: Buffer): Promise<IngestOutcome> {
    const { metrics, log } = this.#o;
    const v = this.#validate(kind, ref, payload);
    if (!v.ok) return this.#reject(kind, ref, v.batchId, v.reason, v.path, v.message);

    let result: CommitResult;
    try {
      result = await v.commit({ batchId: v.batchId, receivedAt: this.#now() });
    } catch (err) {
      // No ack: the device keeps the batch and sends it again (DESIGN.md rule 2).
      metrics.storeFailures.inc({ kind });
      log.error({ err, ...ref, batchId: v.batchId, kind }, 'store commit failed; batch not acked');
      return { status: 'store-failed', batchId: v.batchId };
    }
    for (const [k, seqs] of Object.entries(result)) metrics.recordsCommitted.inc({ kind, result: k }, (seqs as number[]).length);
    if (result.conflicts.length > 0) log.warn({ ...ref, kind, conflicts: result.conflicts }, 'device reused sequence numbers; first records kept');
    await this.#ack(kind, ref, committedAck(kind, v.batchId, result, this.#now()));
    log.debug({ ...ref, kind, batchId: v.batchId, inserted: result.inserted.length, duplicates: result.duplicates.length }, 'batch committed');
    return { status: 'committed', batchId: v.batchId, result };
  }

  #validate(kind: BatchKind, ref: DeviceRef, payload: Buffer): Validated {
    const store = this.#o.store;
    if (kind === 'impressions') {
      const p = parse('impressions', payload);
      return p.ok ? sender(ref, p.value, (meta) => store.commitImpressions(ref, meta, p.value.records)) : { ...p, batchId: salvageBatchId(payload) };
    }
    const p = parse('door-counts', payload);
    return p.ok ? sender(ref, p.value, (meta) => store.commitDoorCounts(ref, meta, p.value.records)) : { ...p, batchId: salvageBatchId(payload) };
  }

  async #reject(kind: BatchKind, ref: DeviceRef, batchId: string | null, reason: RejectReason, path: string, message: string): Promise<IngestOutcome> {
    this.#o.metrics.payloadRejected.inc({ kind, reason });
    this.#o.log.warn({ ...ref, kind, batchId, reason, path, message }, 'batch rejected');
    // Without a batch id the device cannot match a reject to its batch: nothing to ack.
    if (batchId) await this.#ack(kind, ref, rejectedAck(kind, batchId, reason, path, message, this.#now()));
    return { status: 'rejected', batchId, reason, path };
  }

  async #ack(kind: BatchKind, ref: DeviceRef, ack: Ack): Promise<void> {
    try {
      await this.#o.publishAck(ref, ack);
      this.#o.metrics.acksSent.inc({ kind, status: ack.status });
    } catch (err) {
      // Lost ack: the device resends and is acked again (acks are idempotent).
      this.#o.log.warn({ err, ...ref, batchId: ack.batchId }, 'ack publish failed');
    }
  }
}
