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

/** One group of a campaign's impressions: site × device × door × UTC hour × pseudonym. */
export interface CampaignFact {
  site: string;
  device: string;
  door: number;
  /** UTC hour of the wall time, 'YYYY-MM-DDTHH'. */
  hour: string;
  /** Null for anonymous plays. */
  pseudonym: string | null;
  /** Impressions with outcome completed or interrupted (at least one frame shown). */
  plays: number;
  completed: number;
  /** Impressions with outcome failed. */
  failed: number;
}

/** Granted unlocks of a site in one UTC hour, all its devices and doors summed. */
export interface DoorCountHour {
  hourStart: string;
  unlocks: number;
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
  /**
   * Report facts of one campaign for impressions with fromIso ≤ wallTime < toIso, grouped by
   * (site, device, door, UTC hour, pseudonym), in no particular order. Must stay fast over
   * tens of millions of rows: served by an index on (campaign_id, wall_time).
   */
  campaignFacts(campaignId: string, fromIso: string, toIso: string): Promise<CampaignFact[]>;
  /** Granted unlocks per UTC hour at a site (door counts, CLOUD-LINK.md §5.2), ascending. */
  doorCountHours(site: string, fromIso: string, toIso: string): Promise<DoorCountHour[]>;
  /**
   * Distinct pseudonyms seen at a site with fromIso ≤ wallTime < toIso; when `utcHours` is
   * given, only plays whose wall-time UTC hour of day is in it.
   */
  countResidents(site: string, fromIso: string, toIso: string, utcHours?: readonly number[]): Promise<number>;
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
