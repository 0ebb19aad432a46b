// A play's outcome as the store records it: valid against the store's PlaySchema, written with
// its counter updates in one transaction (real SQLite in a temp folder).
import { describe, expect, it } from 'vitest';
import { PlaySchema } from '../store/records.js';
import { openStore, pseudonym, stamp } from '../store/testing.js';
import { type PlayFacts, toPlay } from './impression.js';
import type { PlayResult } from './player.js';

const resident = pseudonym(42);
const facts = (over: Partial<PlayFacts> = {}): PlayFacts => ({
  impressionId: crypto.randomUUID(),
  campaignId: 'noodles',
  creativeId: 'noodles-a',
  door: 1,
  pseudonym: resident,
  segments: ['evening-returner'],
  decisionLatencyMs: 0.123456,
  day: '2026-11-23',
  ...over,
});
const completed: PlayResult = { outcome: 'completed', framesShown: 250, framesExpected: 250, firstFrameLatencyMs: 4.56789, prerolled: true };
const interruptedEarly: PlayResult = { outcome: 'interrupted', framesShown: 0, framesExpected: 250, firstFrameLatencyMs: null, prerolled: false };
const failed: PlayResult = { outcome: 'failed', framesShown: 0, framesExpected: 250, firstFrameLatencyMs: null, prerolled: false, reason: 'decode-failed', detail: 'ffmpeg exited 1' };

describe('toPlay', () => {
  it.each([
    ['completed', completed, 4.568, 1],
    ['interrupted before its first frame', interruptedEarly, null, 0],
    ['failed', failed, null, 0],
  ] as const)('%s: a valid Play; counters only when frames were shown', (_name, result, latency, counters) => {
    const { play, counters: deltas } = toPlay(facts(), result);
    expect(PlaySchema.parse(play)).toEqual(play);
    expect(play.firstFrameLatencyMs).toBe(latency);
    expect(play.decisionLatencyMs).toBe(0.123);
    expect(play.outcome).toBe(result.outcome);
    expect([play.framesShown, play.framesExpected]).toEqual([result.framesShown, result.framesExpected]);
    expect(deltas).toHaveLength(counters);
  });

  it('an anonymous play has no pseudonym and no counters', () => {
    const { play, counters } = toPlay(facts({ pseudonym: null, segments: [] }), completed);
    expect(play.pseudonym).toBeNull();
    expect(counters).toEqual([]);
  });

  it('is written with its counter updates in one transaction', () => {
    const store = openStore();
    const { play, counters } = toPlay(facts(), { ...completed, outcome: 'interrupted', framesShown: 40 });
    const seq = store.recordPlay(play, stamp(), counters);
    expect(seq).toBe(1);
    const [queued] = store.outbox.readOldest(10);
    expect(queued).toMatchObject({ ...play, deviceSeq: 1, bootId: stamp().bootId, monoMs: stamp().monoMs });
    expect(store.counters.read(resident, '2026-11-01').byCampaign.get('noodles')?.get('2026-11-23')).toEqual({ plays: 1, completions: 0 });
  });

  it('a bad counter update rolls the impression back too', () => {
    const store = openStore();
    const { play, counters } = toPlay(facts(), completed);
    expect(() => store.recordPlay(play, stamp(), [...counters, { ...counters[0]!, day: 'yesterday' }])).toThrow(/day/);
    expect(store.outbox.depth()).toBe(0);
    expect(store.counters.read(resident, '2026-11-01').byCampaign.size).toBe(0);
  });
});
