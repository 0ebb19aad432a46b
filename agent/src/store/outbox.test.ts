import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImpressionRecordSchema } from './cloud-contract.js';
import { StoreError } from './errors.js';
import { Store } from './store.js';
import { BOOT_A, BOOT_B, openStore, play, pseudonym, ROOMY, stamp, T0, tempDir } from './testing.js';

describe('impressions outbox', () => {
  it('device_seq is never reused, even after deletes and a restart', () => {
    const path = join(tempDir(), 'a.db');
    let s = new Store({ path, budget: ROOMY });
    const a = s.outbox.append(play(), stamp());
    const b = s.outbox.append(play(), stamp());
    expect(b).toBe(a + 1);
    expect(s.outbox.deleteAcked([a, b])).toBe(2);
    expect(s.outbox.depth()).toBe(0);
    s.close();
    s = new Store({ path, budget: ROOMY });
    const c = s.recordPlay(play(), stamp());
    expect(c).toBe(b + 1);
    expect(s.outbox.readOldest(10).map((r) => r.deviceSeq)).toEqual([c]);
    s.close();
  });

  it('reads back the cloud record: the play, its device_seq and its time stamp', () => {
    const s = openStore();
    const p = play({ pseudonym: null, outcome: 'failed', firstFrameLatencyMs: null, framesShown: 0 });
    const seq = s.outbox.append(p, stamp({ wallMs: T0 + 123, monoMs: 777, clockSynced: false }));
    const [queued] = s.outbox.readOldest(1);
    expect(queued).toEqual({ ...p, deviceSeq: seq, wallTime: '2026-01-01T07:00:00.123Z', bootId: BOOT_A, monoMs: 777, clockSynced: false });
    // What the outbox holds is what the cloud accepts (CLOUD-LINK.md §5.1), unchanged.
    expect(ImpressionRecordSchema.parse(queued)).toEqual(queued);
  });

  it('reads oldest first after a cursor, deletes idempotently, reports depth and age', () => {
    const s = openStore();
    const seqs = [1, 2, 3, 4, 5].map((i) => s.outbox.append(play({ framesShown: i }), stamp({ monoMs: 1000 * i, wallMs: T0 + 1000 * i })));
    expect(s.outbox.readOldest(2).map((r) => r.framesShown)).toEqual([1, 2]);
    expect(s.outbox.readOldest(10, seqs[2]).map((r) => r.deviceSeq)).toEqual(seqs.slice(3));
    expect(s.outbox.deleteAcked([seqs[0]!, seqs[0]!, 999])).toBe(1);
    expect(s.outbox.depth()).toBe(4);
    // Oldest left is seq 2, stamped at mono 2000: same boot → monotonic age.
    expect(s.outbox.oldestAgeMs(stamp({ monoMs: 12_000, wallMs: 0 }))).toBe(10_000);
    // Another boot → wall-clock age.
    expect(s.outbox.oldestAgeMs(stamp({ bootId: BOOT_B, monoMs: 0, wallMs: T0 + 62_000 }))).toBe(60_000);
    s.outbox.deleteAcked(seqs);
    expect(s.outbox.oldestAgeMs(stamp())).toBe(0);
  });

  it('rejects a bad play or an unbounded read with the field path, writing nothing', () => {
    const s = openStore();
    expect(() => s.outbox.append(play({ pseudonym: '13800138000' }), stamp())).toThrow(/pseudonym/);
    expect(() => s.outbox.append(play({ outcome: 'skipped' as never }), stamp())).toThrow(/outcome/);
    expect(() => s.outbox.append(play({ segments: Array.from({ length: 33 }, (_, i) => `s${i}`) }), stamp())).toThrow(/segments/);
    expect(() => s.outbox.append(play(), stamp({ bootId: 'not-a-uuid' }))).toThrow(/bootId/);
    expect(() => s.outbox.readOldest(-1)).toThrow(StoreError);
    expect(s.outbox.depth()).toBe(0);
  });

  it('refuses the same impression id twice (the player must not double count)', () => {
    const s = openStore();
    const p = play();
    s.outbox.append(p, stamp());
    expect(() => s.outbox.append(p, stamp())).toThrow(expect.objectContaining({ code: 'invalid' }));
    expect(s.outbox.depth()).toBe(1);
  });
});

describe('recordPlay', () => {
  const day = '2026-01-01';

  it('commits the impression and its counter updates together', () => {
    const s = openStore();
    const who = pseudonym(1);
    s.recordPlay(play(), stamp(), [{ pseudonym: who, campaign: 'c1', day, completed: true }]);
    s.recordPlay(play(), stamp(), [{ pseudonym: who, campaign: 'c1', day, completed: false }]);
    expect(s.outbox.depth()).toBe(2);
    expect(s.counters.read(who, day).byCampaign.get('c1')?.get(day)).toEqual({ plays: 2, completions: 1 });
  });

  it('commits nothing when any part fails', () => {
    const s = openStore();
    const who = pseudonym(1);
    const p = play();
    s.recordPlay(p, stamp(), [{ pseudonym: who, campaign: 'c1', day, completed: true }]);
    // A repeated impression id: the counters must not move.
    expect(() => s.recordPlay(p, stamp(), [{ pseudonym: who, campaign: 'c1', day, completed: true }])).toThrow(StoreError);
    // A bad counter delta after a good impression: the impression must not stay.
    expect(() => s.recordPlay(play(), stamp(), [{ pseudonym: who, campaign: 'c1', day: 'monday', completed: true }])).toThrow(/day/);
    expect(s.outbox.depth()).toBe(1);
    expect(s.counters.read(who, day).byCampaign.get('c1')?.get(day)).toEqual({ plays: 1, completions: 1 });
  });

  it('transaction(fn) groups any writes; a throw rolls them all back', () => {
    const s = openStore();
    expect(() =>
      s.transaction(() => {
        s.outbox.append(play(), stamp());
        s.state.set('cursor', '5');
        throw new Error('player crashed mid-way');
      }),
    ).toThrow('player crashed mid-way');
    expect(s.outbox.depth()).toBe(0);
    expect(s.state.get('cursor')).toBeUndefined();
  });
});
