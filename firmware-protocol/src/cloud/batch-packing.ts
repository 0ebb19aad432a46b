// How a sender fills a batch: as many records, oldest first, as fit both the record count and
// the byte limit. CLOUD-LINK.md §4.1
import { MAX_BATCH_RECORDS, MAX_UP_PAYLOAD_BYTES } from './limits.js';

export interface BatchHeader {
  batchId: string;
  site: string;
  device: string;
}

export interface PackedBatch<R> {
  batch: BatchHeader & { records: R[] };
  /** How many of the given records went in (a prefix). */
  taken: number;
}

export class BatchPackingError extends Error {
  override readonly name = 'BatchPackingError';
  constructor(
    readonly index: number,
    readonly bytes: number,
  ) {
    super(`record ${index} alone is ${bytes} bytes and can never fit a batch of ${MAX_UP_PAYLOAD_BYTES} bytes`);
  }
}

/**
 * The longest prefix of `records` that fits. The byte count is exact for JSON.stringify of the
 * result. Throws BatchPackingError when the first record cannot fit on its own (the sender must
 * quarantine it: retrying would never succeed). Returns taken 0 for an empty input.
 */
export function packBatch<R>(header: BatchHeader, records: readonly R[], maxBytes = MAX_UP_PAYLOAD_BYTES, maxRecords = MAX_BATCH_RECORDS): PackedBatch<R> {
  const base = { batchId: header.batchId, site: header.site, device: header.device };
  // {"batchId":…,"site":…,"device":…,"records":[]}
  let bytes = Buffer.byteLength(JSON.stringify({ ...base, records: [] }));
  const taken: R[] = [];
  for (const [i, r] of records.entries()) {
    if (taken.length >= maxRecords) break;
    const add = Buffer.byteLength(JSON.stringify(r)) + (taken.length > 0 ? 1 : 0);
    if (bytes + add > maxBytes) {
      if (taken.length === 0) throw new BatchPackingError(i, bytes + add);
      break;
    }
    bytes += add;
    taken.push(r);
  }
  return { batch: { ...base, records: taken }, taken: taken.length };
}
