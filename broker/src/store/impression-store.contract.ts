// The conformance suite every ImpressionStore backend must pass (as aedes-persistence's
// abstract.js is for aedes). Run it from a backend's test file:
//   describeImpressionStoreContract('sqlite', async () => ({ open, destroy }))
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleDoorCount, exampleImpression, type ImpressionRecord } from '../contract.js';
import { type ImpressionStore, StoreError } from './impression-store.js';

export interface StoreHarness {
  /** Opens a store on this harness's data; called again after close(), it reopens the same data. */
  open(): Promise<ImpressionStore>;
  /** Deletes the data. */
  destroy(): Promise<void>;
}

const A = { site: 'maple', device: 'gate-1' };
const B = { site: 'maple', device: 'gate-2' };
const C = { site: 'oak', device: 'gate-1' };
const meta = (batchId = randomUUID()) => ({ batchId, receivedAt: new Date('2026-11-23T08:00:00.000Z') });
const imps = (seqs: number[]) => seqs.map((s) => exampleImpression(s));

export function describeImpressionStoreContract(name: string, factory: () => Promise<StoreHarness>): void {
  describe(`ImpressionStore contract: ${name}`, () => {
    let h: StoreHarness;
    let store: ImpressionStore;
    beforeEach(async () => {
      h = await factory();
      store = await h.open();
    });
    afterEach(async () => {
      await store.close();
      await h.destroy();
    });

    it('commits a batch and lists it back by seq, unknown fields kept', async () => {
      const m = meta();
      const records = [exampleImpression(2, { extra: { x: 1 } } as Partial<ImpressionRecord>), exampleImpression(1)];
      expect(await store.commitImpressions(A, m, records)).toEqual({ inserted: [2, 1], duplicates: [], conflicts: [] });
      const listed = await store.listImpressions(A);
      expect(listed.map((r) => r.deviceSeq)).toEqual([1, 2]);
      expect(listed[1]).toMatchObject({ ...records[0], site: 'maple', device: 'gate-1', batchId: m.batchId, receivedAt: '2026-11-23T08:00:00.000Z' });
      expect(await store.countImpressions(A)).toBe(2);
    });

    it('is idempotent on (site, device, deviceSeq): the same batch twice is stored once', async () => {
      const records = imps([1, 2, 3]);
      const m = meta();
      await store.commitImpressions(A, m, records);
      expect(await store.commitImpressions(A, m, records)).toEqual({ inserted: [], duplicates: [1, 2, 3], conflicts: [] });
      expect(await store.countImpressions()).toBe(3);
    });

    it('stores only the new part of an overlapping batch', async () => {
      const first = imps([1, 2, 3]);
      await store.commitImpressions(A, meta(), first);
      const overlap = [first[1]!, first[2]!, exampleImpression(4)];
      expect(await store.commitImpressions(A, meta(), overlap)).toEqual({ inserted: [4], duplicates: [2, 3], conflicts: [] });
      expect(await store.countImpressions(A)).toBe(4);
    });

    it('reports a reused seq as a conflict and keeps the first record', async () => {
      const first = exampleImpression(7);
      await store.commitImpressions(A, meta(), [first]);
      expect(await store.commitImpressions(A, meta(), [exampleImpression(7)])).toEqual({ inserted: [], duplicates: [], conflicts: [7] });
      expect((await store.listImpressions(A))[0]?.impressionId).toBe(first.impressionId);
    });

    it('keeps devices and sites apart', async () => {
      await store.commitImpressions(A, meta(), imps([1]));
      expect((await store.commitImpressions(B, meta(), imps([1]))).inserted).toEqual([1]);
      expect((await store.commitImpressions(C, meta(), imps([1]))).inserted).toEqual([1]);
      expect(await store.countImpressions()).toBe(3);
      expect(await store.countImpressions(B)).toBe(1);
    });

    it('stores nothing of a batch when one record breaks an integrity rule (all or nothing)', async () => {
      const bad = [exampleImpression(5), exampleImpression(6, { framesShown: -1 })];
      await expect(store.commitImpressions(A, meta(), bad)).rejects.toBeInstanceOf(StoreError);
      const zero = [exampleImpression(8), exampleImpression(9, { deviceSeq: 0 })];
      await expect(store.commitImpressions(A, meta(), zero)).rejects.toBeInstanceOf(StoreError);
      expect(await store.countImpressions()).toBe(0);
      expect((await store.commitImpressions(A, meta(), imps([5]))).inserted).toEqual([5]);
    });

    it('door counts: idempotent, conflicts on a different door or hour', async () => {
      const recs = [exampleDoorCount(1), exampleDoorCount(2, { hourStart: '2026-11-23T08:00:00.000Z' })];
      expect((await store.commitDoorCounts(A, meta(), recs)).inserted).toEqual([1, 2]);
      expect(await store.commitDoorCounts(A, meta(), recs)).toEqual({ inserted: [], duplicates: [1, 2], conflicts: [] });
      expect((await store.commitDoorCounts(A, meta(), [exampleDoorCount(2, { door: 3 })])).conflicts).toEqual([2]);
      expect(await store.countDoorCounts(A)).toBe(2);
      expect((await store.listDoorCounts(A)).map((r) => r.hourStart)).toEqual(['2026-11-23T07:00:00.000Z', '2026-11-23T08:00:00.000Z']);
      expect(await store.countImpressions()).toBe(0);
    });

    it('pages with afterSeq and limit', async () => {
      await store.commitImpressions(A, meta(), imps([1, 2, 3, 4, 5]));
      expect((await store.listImpressions(A, { afterSeq: 2, limit: 2 })).map((r) => r.deviceSeq)).toEqual([3, 4]);
    });

    it('keeps committed data across close and reopen', async () => {
      await store.commitImpressions(A, meta(), imps([1, 2]));
      await store.close();
      store = await h.open();
      expect(await store.countImpressions(A)).toBe(2);
      expect((await store.commitImpressions(A, meta(), imps([2, 3]))).inserted).toEqual([3]);
    });

    it('stores each seq once under concurrent overlapping commits', async () => {
      const recs = imps(Array.from({ length: 40 }, (_, i) => i + 1));
      const results = await Promise.all([
        store.commitImpressions(A, meta(), recs.slice(0, 30)),
        store.commitImpressions(A, meta(), recs.slice(10, 40)),
        store.commitImpressions(A, meta(), recs.slice(5, 35)),
      ]);
      const inserted = results.flatMap((r) => r.inserted).sort((a, b) => a - b);
      expect(inserted).toEqual(recs.map((r) => r.deviceSeq));
      expect(results.every((r) => r.conflicts.length === 0)).toBe(true);
      expect(await store.countImpressions(A)).toBe(40);
    });

    it('campaignFacts groups one campaign by site, device, door, UTC hour and pseudonym, within [from, to)', async () => {
      const p1 = 'k1.AAAAAAAAAAAAAAAAAAAAAA';
      const p2 = 'k1.BBBBBBBBBBBBBBBBBBBBBB';
      const at = (h: string, m = '10') => `2026-11-23T${h}:${m}:00.000Z`;
      await store.commitImpressions(A, meta(), [
        exampleImpression(1, { campaignId: 'noodles', pseudonym: p1, outcome: 'completed', wallTime: at('07') }),
        exampleImpression(2, { campaignId: 'noodles', pseudonym: p1, outcome: 'interrupted', wallTime: at('07', '40') }),
        exampleImpression(3, { campaignId: 'noodles', pseudonym: p2, outcome: 'completed', wallTime: at('07') }),
        exampleImpression(4, { campaignId: 'noodles', pseudonym: null, outcome: 'failed', wallTime: at('08') }),
        exampleImpression(5, { campaignId: 'noodles', pseudonym: null, outcome: 'completed', wallTime: at('08'), door: 2 }),
        exampleImpression(6, { campaignId: 'bakery', pseudonym: p1, outcome: 'completed', wallTime: at('07') }),
        exampleImpression(7, { campaignId: 'noodles', pseudonym: p1, outcome: 'completed', wallTime: at('09') }),
      ]);
      await store.commitImpressions(C, meta(), [exampleImpression(1, { campaignId: 'noodles', pseudonym: p1, outcome: 'completed', wallTime: at('07') })]);
      const facts = await store.campaignFacts('noodles', at('00', '00'), at('09', '00'));
      const key = (f: { site: string; device: string; door: number; hour: string; pseudonym: string | null }) => `${f.site}/${f.device}#${f.door} ${f.hour} ${f.pseudonym}`;
      expect(facts.map((f) => ({ ...f })).sort((a, b) => key(a).localeCompare(key(b)))).toEqual([
        { site: 'maple', device: 'gate-1', door: 1, hour: '2026-11-23T07', pseudonym: p1, plays: 2, completed: 1, failed: 0 },
        { site: 'maple', device: 'gate-1', door: 1, hour: '2026-11-23T07', pseudonym: p2, plays: 1, completed: 1, failed: 0 },
        { site: 'maple', device: 'gate-1', door: 1, hour: '2026-11-23T08', pseudonym: null, plays: 0, completed: 0, failed: 1 },
        { site: 'maple', device: 'gate-1', door: 2, hour: '2026-11-23T08', pseudonym: null, plays: 1, completed: 1, failed: 0 },
        { site: 'oak', device: 'gate-1', door: 1, hour: '2026-11-23T07', pseudonym: p1, plays: 1, completed: 1, failed: 0 },
      ]);
      expect(await store.campaignFacts('nobody', at('00', '00'), at('23', '00'))).toEqual([]);
    });

    it('doorCountHours sums granted unlocks of a site per hour; countResidents counts distinct pseudonyms', async () => {
      await store.commitDoorCounts(A, meta(), [exampleDoorCount(1, { unlocksGranted: 10 }), exampleDoorCount(2, { door: 2, unlocksGranted: 5 })]);
      await store.commitDoorCounts(B, meta(), [exampleDoorCount(1, { unlocksGranted: 7, hourStart: '2026-11-23T08:00:00.000Z' })]);
      await store.commitDoorCounts(C, meta(), [exampleDoorCount(1, { unlocksGranted: 99 })]);
      const hour7 = exampleDoorCount(1).hourStart;
      expect(await store.doorCountHours('maple', '2026-11-23T00:00:00.000Z', '2026-11-24T00:00:00.000Z')).toEqual([
        { hourStart: hour7, unlocks: 15 },
        { hourStart: '2026-11-23T08:00:00.000Z', unlocks: 7 },
      ]);
      const p = (c: string) => `k1.${c.repeat(22)}`;
      await store.commitImpressions(A, meta(), [
        exampleImpression(1, { pseudonym: p('A'), wallTime: '2026-11-23T07:00:00.000Z' }),
        exampleImpression(2, { pseudonym: p('A'), wallTime: '2026-11-23T18:00:00.000Z' }),
        exampleImpression(3, { pseudonym: p('B'), wallTime: '2026-11-23T18:30:00.000Z' }),
        exampleImpression(4, { pseudonym: null, wallTime: '2026-11-23T18:30:00.000Z' }),
      ]);
      await store.commitImpressions(C, meta(), [exampleImpression(1, { pseudonym: p('C'), wallTime: '2026-11-23T18:00:00.000Z' })]);
      const day = ['2026-11-23T00:00:00.000Z', '2026-11-24T00:00:00.000Z'] as const;
      expect(await store.countResidents('maple', ...day)).toBe(2);
      expect(await store.countResidents('maple', ...day, [18])).toBe(2);
      expect(await store.countResidents('maple', ...day, [7, 8])).toBe(1);
      expect(await store.countResidents('maple', ...day, [])).toBe(0);
      expect(await store.countResidents('maple', '2026-11-23T18:10:00.000Z', day[1])).toBe(1);
    });

    it('close is idempotent and a closed store refuses work', async () => {
      await store.close();
      await store.close();
      await expect(store.commitImpressions(A, meta(), imps([1]))).rejects.toMatchObject({ code: 'closed' });
      store = await h.open();
    });
  });
}
