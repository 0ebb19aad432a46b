import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exampleDoorCountBatch, exampleImpression, exampleImpressionBatch, exampleState } from './examples.js';
import { MAX_BATCH_RECORDS, MAX_UP_PAYLOAD_BYTES } from './limits.js';
import { encode, PayloadError, parse, salvageBatchId } from './payload.js';
import { OFFLINE_WILL_PAYLOAD } from './state.js';

const ref = { site: 'maple', device: 'gate-1' };
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('parse (CLOUD-LINK.md §4.2)', () => {
  it('accepts the examples of every up kind and keeps unknown fields', () => {
    const batch = exampleImpressionBatch(ref, [1, 2, 3]);
    const extended = { ...batch, extra: 'kept', records: batch.records.map((r) => ({ ...r, future: 1 })) };
    const r = parse('impressions', json(extended));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect((r.value as Record<string, unknown>).extra).toBe('kept');
      expect((r.value.records[0] as Record<string, unknown>).future).toBe(1);
    }
    expect(parse('door-counts', json(exampleDoorCountBatch(ref, [1]))).ok).toBe(true);
    expect(parse('state', json(exampleState())).ok).toBe(true);
  });

  it('takes the JSON last will and the bare string "offline" as offline state', () => {
    expect(parse('state', Buffer.from(OFFLINE_WILL_PAYLOAD))).toEqual({ ok: true, value: { online: false } });
    expect(parse('state', Buffer.from('offline'))).toEqual({ ok: true, value: { online: false } });
  });

  const bad = (mutate: (r: Record<string, unknown>) => void) => {
    const b = exampleImpressionBatch(ref, [1, 2]);
    mutate(b.records[1] as Record<string, unknown>);
    return b;
  };
  it.each([
    ['raw card number as pseudonym', bad((r) => (r.pseudonym = '0012345678')), 'records.1.pseudonym'],
    ['seq 0', bad((r) => (r.deviceSeq = 0)), 'records.1.deviceSeq'],
    ['fractional seq', bad((r) => (r.deviceSeq = 2.5)), 'records.1.deviceSeq'],
    ['repeated seq', bad((r) => (r.deviceSeq = 1)), 'records.1.deviceSeq'],
    ['bad outcome', bad((r) => (r.outcome = 'skipped')), 'records.1.outcome'],
    ['door 0', bad((r) => (r.door = 0)), 'records.1.door'],
    ['wall time with offset', bad((r) => (r.wallTime = '2026-11-23T07:42:29+08:00')), 'records.1.wallTime'],
    ['missing bootId', bad((r) => delete r.bootId), 'records.1.bootId'],
    ['bad impressionId', bad((r) => (r.impressionId = 'x')), 'records.1.impressionId'],
    ['segment with space', bad((r) => (r.segments = ['school run'])), 'records.1.segments.0'],
    ['no records', { ...exampleImpressionBatch(ref, [1]), records: [] }, 'records'],
    ['bad site', { ...exampleImpressionBatch(ref, [1]), site: 'Maple' }, 'site'],
  ])('rejects %s with its path', (_name, value, path) => {
    const r = parse('impressions', json(value));
    expect(r).toMatchObject({ ok: false, reason: 'schema', path });
  });

  it('rejects more than MAX_BATCH_RECORDS records', () => {
    const b = exampleImpressionBatch(ref, Array.from({ length: MAX_BATCH_RECORDS + 1 }, (_, i) => i + 1));
    expect(parse('impressions', json(b))).toMatchObject({ ok: false, path: 'records' });
  });

  it('rejects by size before parsing, and non-JSON and bad UTF-8', () => {
    expect(parse('impressions', Buffer.alloc(MAX_UP_PAYLOAD_BYTES + 1, 0x20))).toMatchObject({ ok: false, reason: 'too-large' });
    expect(parse('impressions', Buffer.from('{"batchId":'))).toMatchObject({ ok: false, reason: 'not-json' });
    expect(parse('state', Buffer.from([0x7b, 0xff, 0x7d]))).toMatchObject({ ok: false, reason: 'not-json' });
  });

  it('validates acks: a rejected ack needs a reason, a committed one a seq', () => {
    const base = { batchId: randomUUID(), kind: 'impressions', ts: '2026-11-23T00:00:00.000Z' };
    expect(parse('ack', json({ ...base, status: 'committed', seqs: [[1, 3]] })).ok).toBe(true);
    expect(parse('ack', json({ ...base, status: 'committed', seqs: [] }))).toMatchObject({ ok: false, path: 'seqs' });
    expect(parse('ack', json({ ...base, status: 'rejected', seqs: [] }))).toMatchObject({ ok: false, path: 'reason' });
    expect(parse('ack', json({ ...base, status: 'committed', seqs: [[3, 1]] }))).toMatchObject({ ok: false, path: 'seqs.0' });
  });
});

describe('encode', () => {
  it('round-trips through parse', () => {
    const b = exampleImpressionBatch(ref, [7]);
    expect(parse('impressions', encode('impressions', b))).toEqual({ ok: true, value: b });
  });
  it('throws PayloadError with the path for a bad value', () => {
    const b = exampleImpressionBatch(ref, [7]);
    (b.records[0] as Record<string, unknown>).framesShown = -1;
    expect(() => encode('impressions', b)).toThrow(PayloadError);
    expect(() => encode('impressions', b)).toThrow(/records\.0\.framesShown/);
  });
  it('throws too-large for a batch over the byte limit', () => {
    const big = exampleImpressionBatch(ref, [1]);
    big.records = Array.from({ length: 400 }, (_, i) => exampleImpression(i + 1, { segments: Array.from({ length: 32 }, (_, j) => `segment-${j}-${'x'.repeat(40)}`) }));
    expect(() => encode('impressions', big)).toThrow(/too-large/);
  });
});

describe('salvageBatchId', () => {
  it('finds a batch id in an invalid batch, and nothing in garbage', () => {
    const id = randomUUID();
    expect(salvageBatchId(json({ batchId: id, records: 'nope' }))).toBe(id);
    expect(salvageBatchId(json({ batchId: 'not-a-uuid' }))).toBeNull();
    expect(salvageBatchId(Buffer.from('garbage'))).toBeNull();
    expect(salvageBatchId(json(null))).toBeNull();
  });
});
