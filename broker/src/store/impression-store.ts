// Where committed impressions and door counts live. One interface, held by every backend to
// one conformance suite (impression-store.contract.ts). DESIGN.md "Embedded default".
import type { DeviceRef, DoorCountRecord, ImpressionRecord } from '../contract.js';

/** What became of each record of a batch, by device seq. */
export interface CommitResult {
  /** Stored now. */
  inserted: number[];
  /** Already stored with the same identity (a retransmission): nothing changed. */
  duplicates: number[];
  /** Already stored with a different identity (the device reused a seq): the first one stays. */
  conflicts: number[];
}

export interface BatchMeta {
  batchId: string;
  receivedAt: Date;
}

export interface StoredImpression extends ImpressionRecord {
  site: string;
  device: string;
  batchId: string;
  receivedAt: string;
}

export interface StoredDoorCount extends DoorCountRecord {
  site: string;
  device: string;
  batchId: string;
  receivedAt: string;
}

export interface ListOptions {
  afterSeq?: number;
  limit?: number;
}

export interface ImpressionStore {
  /**
   * Stores a validated batch in one transaction, idempotent on (site, device, deviceSeq):
   * all records or none. Resolves only once the data is durable. Rejects with StoreError.
   */
  commitImpressions(ref: DeviceRef, meta: BatchMeta, records: readonly ImpressionRecord[]): Promise<CommitResult>;
  commitDoorCounts(ref: DeviceRef, meta: BatchMeta, records: readonly DoorCountRecord[]): Promise<CommitResult>;
  /** Ascending by deviceSeq. */
  listImpressions(ref: DeviceRef, options?: ListOptions): Promise<StoredImpression[]>;
  listDoorCounts(ref: DeviceRef, options?: ListOptions): Promise<StoredDoorCount[]>;
  /** All devices when `ref` is absent. */
  countImpressions(ref?: DeviceRef): Promise<number>;
  countDoorCounts(ref?: DeviceRef): Promise<number>;
  /** Idempotent. */
  close(): Promise<void>;
}

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: 'write-failed' | 'read-failed' | 'closed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
