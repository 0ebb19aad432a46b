// Impressions up (CLOUD-LINK.md §5.1, §5.3): oldest first, in batches bounded by records and
// bytes, at most `maxInFlight` batches unacknowledged, and a row leaves the outbox only when
// the cloud's application ack says it is committed. Everything else (lost acks, reconnects,
// a restart) ends in a resend from the oldest row, which the cloud dedupes on (device, seq).
import { randomUUID } from 'node:crypto';
import { type Ack, BatchPackingError, type DeviceRef, type DoorCountBatch, encode, expandRanges, type ImpressionBatch, packBatch, topicFor } from '@doorcast/firmware-protocol/cloud';
import type { Logger } from '../obs/log.js';
import { Counter, Gauge, metric, type Registry } from '../obs/metrics.js';

export interface UplinkOutbox {
  readOldest(limit: number, afterSeq?: number): { deviceSeq: number }[];
  deleteAcked(seqs: readonly number[]): number;
}

export interface UplinkOptions {
  /** Which outbox: impressions (§5.1) or hourly door counts (§5.2), each with its own seqs. */
  kind?: 'impressions' | 'door-counts';
  ref: DeviceRef;
  outbox: UplinkOutbox;
  /** Publishes QoS 1; resolves on PUBACK (the broker has it, not yet the store). */
  publish(topic: string, payload: Buffer): Promise<void>;
  log: Logger;
  registry: Registry;
  /** Records per batch, ≤ 500 (CLOUD-LINK.md §4). */
  batchRecords?: number;
  /** Batches sent and not yet acked. Bounds memory during a backlog drain. */
  maxInFlight?: number;
  /** No ack this long after sending: resend from the oldest row. */
  ackTimeoutMs?: number;
  now?: () => number;
}

interface Sent {
  first: number;
  last: number;
  sentAt: number;
}

export class Uplink {
  readonly #o: Required<Omit<UplinkOptions, 'log' | 'registry'>> & Pick<UplinkOptions, 'log'>;
  readonly #inFlight = new Map<string, Sent>();
  readonly #m;
  #sentUpTo = 0;
  #connected = false;
  #pumping = false;
  #again = false;

  constructor(o: UplinkOptions) {
    this.#o = { kind: 'impressions', batchRecords: 500, maxInFlight: 4, ackTimeoutMs: 30_000, now: Date.now, ...o };
    if (!(this.#o.batchRecords >= 1 && this.#o.batchRecords <= 500)) throw new RangeError('batchRecords must be 1..500');
    const r = o.registry;
    this.#m = {
      sent: metric(r, 'doorcast_uplink_batches_sent_total', (registers) => new Counter({ name: 'doorcast_uplink_batches_sent_total', help: 'Batches published, by kind', labelNames: ['kind'], registers })),
      acked: metric(r, 'doorcast_uplink_records_acked_total', (registers) => new Counter({ name: 'doorcast_uplink_records_acked_total', help: 'Records the cloud committed and the outbox dropped, by kind', labelNames: ['kind'], registers })),
      rejected: metric(r, 'doorcast_uplink_batches_rejected_total', (registers) => new Counter({ name: 'doorcast_uplink_batches_rejected_total', help: 'Batches the cloud refused, by kind and reason', labelNames: ['kind', 'reason'], registers })),
      resends: metric(r, 'doorcast_uplink_resends_total', (registers) => new Counter({ name: 'doorcast_uplink_resends_total', help: 'Restarts from the oldest unacked row, by kind and cause', labelNames: ['kind', 'cause'], registers })),
      inFlight: metric(r, 'doorcast_uplink_batches_in_flight', (registers) => new Gauge({ name: 'doorcast_uplink_batches_in_flight', help: 'Batches sent and not yet acked, by kind', labelNames: ['kind'], registers })),
    };
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  connected(): void {
    this.#connected = true;
    this.#restart('connect');
  }

  disconnected(): void {
    this.#connected = false;
    this.#inFlight.clear();
    this.#m.inFlight.set({ kind: this.#o.kind }, 0);
  }

  /** Called on a timer and after new rows: sends what fits the window. */
  pump(): void {
    if (!this.#connected) return;
    const now = this.#o.now();
    for (const s of this.#inFlight.values()) {
      if (now - s.sentAt > this.#o.ackTimeoutMs) {
        this.#restart('ack-timeout');
        return;
      }
    }
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        while (this.#connected && this.#inFlight.size < this.#o.maxInFlight && this.#sendOne()) {}
      } while (this.#again);
    } catch (err) {
      // A store error (disk gone): nothing sent, nothing deleted; the next pump tries again.
      this.#o.log.error({ err: (err as Error).message }, 'cannot read the outbox; uplink paused until the next tick');
    } finally {
      this.#pumping = false;
    }
  }

  /** An ack from the ack topic, already schema-checked. Idempotent: a repeat deletes nothing. */
  onAck(ack: Ack): void {
    if (ack.kind !== this.#o.kind) return;
    this.#inFlight.delete(ack.batchId);
    this.#m.inFlight.set({ kind: this.#o.kind }, this.#inFlight.size);
    if (ack.status === 'rejected') {
      // The rows stay in the outbox (nothing is lost) and are retried after a restart; the
      // metric and the log make the stuck batch visible to the operator.
      this.#m.rejected.inc({ kind: this.#o.kind, reason: ack.reason ?? 'unknown' });
      this.#o.log.error({ kind: this.#o.kind, batchId: ack.batchId, reason: ack.reason, path: ack.path, detail: ack.detail }, 'cloud rejected a batch; rows kept');
    } else {
      let seqs: number[];
      try {
        seqs = expandRanges(ack.seqs);
      } catch (err) {
        this.#o.log.warn({ batchId: ack.batchId, err: (err as Error).message }, 'ack names too many seqs; ignored');
        return;
      }
      const n = this.#o.outbox.deleteAcked(seqs);
      this.#m.acked.inc({ kind: this.#o.kind }, n);
      if (ack.conflicts?.length) this.#o.log.warn({ batchId: ack.batchId, conflicts: ack.conflicts }, 'cloud holds other records under some of these seqs');
    }
    this.pump();
  }

  #restart(cause: string): void {
    if (this.#inFlight.size > 0 || cause !== 'connect') this.#m.resends.inc({ kind: this.#o.kind, cause });
    this.#inFlight.clear();
    this.#m.inFlight.set({ kind: this.#o.kind }, 0);
    this.#sentUpTo = 0;
    this.pump();
  }

  #sendOne(): boolean {
    const { ref, outbox, batchRecords } = this.#o;
    const rows = outbox.readOldest(batchRecords, this.#sentUpTo);
    if (rows.length === 0) return false;
    const batchId = randomUUID();
    let taken: number;
    let payload: Buffer;
    try {
      const packed = packBatch({ batchId, site: ref.site, device: ref.device }, rows);
      taken = packed.taken;
      payload = this.#o.kind === 'impressions' ? encode('impressions', packed.batch as ImpressionBatch) : encode('door-counts', packed.batch as DoorCountBatch);
    } catch (err) {
      if (!(err instanceof BatchPackingError)) throw err;
      // Cannot happen for rows the store validated; skip it rather than block the queue.
      this.#o.log.error({ deviceSeq: rows[0]!.deviceSeq, err: err.message }, 'record too large for any batch; skipped until restart');
      this.#sentUpTo = rows[0]!.deviceSeq;
      return true;
    }
    const first = rows[0]!.deviceSeq;
    const last = rows[taken - 1]!.deviceSeq;
    this.#sentUpTo = last;
    this.#inFlight.set(batchId, { first, last, sentAt: this.#o.now() });
    this.#m.inFlight.set({ kind: this.#o.kind }, this.#inFlight.size);
    this.#m.sent.inc({ kind: this.#o.kind });
    this.#o.publish(topicFor(this.#o.kind, ref), payload).catch((err: Error) => {
      // Not lost: the row is still in the outbox; the ack timeout or the reconnect resends it.
      this.#o.log.warn({ batchId, err: err.message }, 'batch publish failed');
    });
    return true;
  }
}
