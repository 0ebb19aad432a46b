import { describe, expect, it } from 'vitest';
import type { DoorEventMessage } from '../message.js';
import { EventRing } from './ring.js';

const ev = (seq: number): DoorEventMessage => ({ type: 'door-state', seq, time: 0, door: 1, state: 'opened' });

describe('EventRing (PROTOCOL.md §4.2–4.3)', () => {
  const ring = () => new EventRing({ capacity: 4, window: 2, retransmitMs: 1000, retransmitMaxMs: 4000 });

  it('sends oldest first within the window, then retransmits with doubling backoff', () => {
    const r = ring();
    for (const s of [1, 2, 3]) r.push(ev(s));
    expect(r.due(0).map((e) => e.seq)).toEqual([1, 2]);
    expect(r.due(500)).toEqual([]);
    expect(r.due(1000).map((e) => e.seq)).toEqual([1, 2]); // timed out: resent, window still 2
    expect(r.due(2999)).toEqual([]);
    expect(r.due(3000).map((e) => e.seq)).toEqual([1, 2]); // 2 s backoff
    r.ack(1);
    expect(r.due(3000).map((e) => e.seq)).toEqual([3]);
  });

  it('caps the backoff', () => {
    const r = ring();
    r.push(ev(1));
    let t = 0;
    const gaps: number[] = [];
    for (let i = 0; i < 6; i++) {
      r.due(t);
      let next = t + 250;
      while (r.due(next).length === 0) next += 250;
      gaps.push(next - t);
      t = next;
    }
    expect(gaps).toEqual([1000, 2000, 4000, 4000, 4000, 4000]);
  });

  it('overwrites the oldest when full and counts it dropped', () => {
    const r = ring();
    for (const s of [1, 2, 3, 4, 5]) r.push(ev(s));
    expect(r.seqs()).toEqual([2, 3, 4, 5]);
    expect(r.dropped).toBe(1);
  });

  it('NAK storage-unavailable keeps the event; NAK rejected drops and counts it', () => {
    const r = ring();
    r.push(ev(1));
    r.push(ev(2));
    r.due(0);
    r.nak(1, 'storage-unavailable');
    // Kept, and retried after its backoff (1 s here), not at once (PROTOCOL.md §4.2).
    expect(r.seqs()).toEqual([1, 2]);
    expect(r.due(1)).toEqual([]);
    expect(r.due(1000).map((e) => e.seq)).toEqual([1, 2]);
    r.nak(2, 'rejected');
    expect(r.seqs()).toEqual([1]);
    expect(r.rejected).toBe(1);
  });

  it('resendAll makes everything due now', () => {
    const r = ring();
    r.push(ev(1));
    r.due(0);
    expect(r.due(10)).toEqual([]);
    r.resendAll();
    expect(r.due(10).map((e) => e.seq)).toEqual([1]);
  });

  it('ack of an unknown seq is a no-op', () => {
    expect(ring().ack(99)).toBe(false);
  });
});
