import { describe, expect, it } from 'vitest';
import { BatchPackingError, packBatch } from './batch-packing.js';
import { exampleImpression } from './examples.js';
import { MAX_UP_PAYLOAD_BYTES } from './limits.js';
import { parse } from './payload.js';

describe('packBatch (CLOUD-LINK.md §4.1)', () => {
  const header = { batchId: '0b7e3c56-8f0e-4c1a-9d2e-1f2a3b4c5d6e', site: 'maple', device: 'gate-1' };
  it('takes a prefix within the record limit', () => {
    const recs = Array.from({ length: 600 }, (_, i) => exampleImpression(i + 1));
    const p = packBatch(header, recs);
    expect(p.taken).toBe(500);
    expect(p.batch.records[499]?.deviceSeq).toBe(500);
    expect(parse('impressions', Buffer.from(JSON.stringify(p.batch))).ok).toBe(true);
  });
  it('counts bytes exactly', () => {
    const recs = Array.from({ length: 50 }, (_, i) => exampleImpression(i + 1));
    const limit = Buffer.byteLength(JSON.stringify({ ...header, records: recs.slice(0, 20) }));
    const p = packBatch(header, recs, limit);
    expect(p.taken).toBe(20);
    expect(Buffer.byteLength(JSON.stringify(p.batch))).toBe(limit);
    expect(packBatch(header, recs, limit - 1).taken).toBe(19);
  });
  it('refuses a record that can never fit', () => {
    const huge = { ...exampleImpression(1), note: 'x'.repeat(MAX_UP_PAYLOAD_BYTES) };
    expect(() => packBatch(header, [huge])).toThrow(BatchPackingError);
  });
});
