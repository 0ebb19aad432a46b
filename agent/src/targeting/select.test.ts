// Targeting, one table row per rule. Properties over simulated days and months are in
// select.property.test.ts.
import { describe, expect, it } from 'vitest';
import type { ResidentCounts } from '../store/counters.js';
import { compile, type Decision, emptyPacing, type PacingState, REASONS, type ResidentHistory, recordPacing, select } from './select.js';
import { at, campaign, campaignSet, context as ctx, history } from './testing.js';

const fresh = (): PacingState => emptyPacing('2026-11-23');
const play = (d: Decision) => {
  if (d.kind !== 'play') throw new Error(`no play: ${d.why} ${JSON.stringify(d.losers)}`);
  return d;
};
const loserReason = (d: Decision, id: string) => d.losers.find((l) => l.campaign === id)?.reason;
const one = (over: Record<string, unknown>, setOver: Record<string, unknown> = {}) => compile(campaignSet([campaign({ id: 'x', ...over })], setOver));

describe('select(): eligibility, one rule at a time', () => {
  it.each([
    ['dates: before from', { dates: { from: '2026-11-24', to: '2026-12-31' } }, {}, 'dates'],
    ['dates: after to', { dates: { from: '2026-01-01', to: '2026-11-22' } }, {}, 'dates'],
    ['days of week (Monday is 1)', { days: [0, 6] }, {}, 'day'],
    ['dayparts', { dayparts: [{ start: '16:30', end: '21:00' }] }, {}, 'daypart'],
    ['daypart end is exclusive', { dayparts: [{ start: '06:00', end: '07:30' }] }, {}, 'daypart'],
    ['site scope', { scope: { sites: ['hilltop'] } }, {}, 'site'],
    ['site scope without a site in the context', { scope: { sites: ['riverside'] } }, { site: undefined }, 'site'],
    ['door scope', { scope: { doors: ['west-gate'] } }, {}, 'door'],
    ['segments need consent', { segments: ['morning-school-run'] }, { consent: false, segments: ['morning-school-run'] }, 'needs-consent'],
    ['segments need a pseudonym', { segments: ['morning-school-run'] }, { pseudonym: null, segments: ['morning-school-run'] }, 'needs-consent'],
    ['segments must match', { segments: ['evening-returner'] }, { segments: ['morning-school-run'] }, 'segment'],
    ['dwell fit: first seconds longer than the dwell left', { creatives: [{ id: 'long', sha256: 'b'.repeat(64), durationMs: 20_000, firstSecondsMs: 6000 }] }, { remainingDwellMs: 5000 }, 'no-fit'],
    ['dwell fit: no dwell left at all', {}, { remainingDwellMs: 0 }, 'no-fit'],
    ['dwell fit: an unknown dwell (NaN)', {}, { remainingDwellMs: Number.NaN }, 'no-fit'],
  ] as const)('%s', (_, over, c, reason) => {
    const d = select(ctx(c), one(over), history(), fresh());
    expect(d.kind).toBe('none');
    expect(d.losers).toEqual([{ campaign: 'x', reason, text: REASONS[reason] }]);
  });

  it.each([
    ['dates are inclusive (first day)', { dates: { from: '2026-11-23', to: '2026-11-30' } }, {}],
    ['dates are inclusive (last day)', { dates: { from: '2026-11-01', to: '2026-11-23' } }, {}],
    ['one of several dayparts', { dayparts: [{ start: '16:30', end: '21:00' }, { start: '07:00', end: '09:00' }] }, {}],
    ['daypart start is inclusive', { dayparts: [{ start: '07:30', end: '07:31' }] }, {}],
    ['a daypart past midnight, before it', { dayparts: [{ start: '22:00', end: '08:00' }] }, {}],
    ['a daypart past midnight, after it', { dayparts: [{ start: '22:00', end: '08:00' }] }, { nowMs: at('2026-11-23T23:10:00') }],
    ['site and door in scope', { scope: { sites: ['hilltop', 'riverside'], doors: ['east-gate'] } }, {}],
    ['a segment the resident is in', { segments: ['evening-returner', 'morning-school-run'] }, { segments: ['morning-school-run'] }],
    ['first seconds capped at the clip length', { creatives: [{ id: 'short', sha256: 'b'.repeat(64), durationMs: 1000, firstSecondsMs: 5000 }] }, { remainingDwellMs: 1200 }],
  ] as const)('plays: %s', (_, over, c) => {
    expect(play(select(ctx(c), one(over), history(), fresh())).campaign).toBe('x');
  });

  it('a daypart past midnight does not cover midday', () => {
    expect(loserReason(select(ctx({ nowMs: at('2026-11-23T12:00:00') }), one({ dayparts: [{ start: '22:00', end: '08:00' }] }), null, fresh()), 'x')).toBe('daypart');
  });
});

describe('select(): caps and suppression (consenting resident)', () => {
  it.each([
    ['daily cap, default 2', {}, {}, { x: { '2026-11-23': { plays: 2 } } }, [], 'cap-day'],
    ['daily cap, campaign override', { caps: { perDay: 1 } }, {}, { x: { '2026-11-23': { plays: 1 } } }, [], 'cap-day'],
    ['daily cap, set default', {}, { defaults: { caps: { perDay: 1 } } }, { x: { '2026-11-23': { plays: 1 } } }, [], 'cap-day'],
    ['weekly cap, rolling 7 days', { caps: { perDay: 5, perWeek: 3 } }, {}, { x: { '2026-11-17': { plays: 2 }, '2026-11-22': { plays: 1 } } }, [], 'cap-week'],
    ['weekly cap, set default', {}, { defaults: { caps: { perWeek: 2 } } }, { x: { '2026-11-20': { plays: 2 } } }, [], 'cap-week'],
    ['suppressed after N completions', { suppression: { afterCompletions: 3 } }, {}, { x: { '2026-11-01': { plays: 3, completions: 3 } } }, [], 'suppressed-completions'],
    ['suppressed after N completions, set default', {}, { defaults: { suppression: { afterCompletions: 2 } } }, { x: { '2026-11-01': { plays: 1, completions: 1 }, '2026-11-05': { plays: 1, completions: 1 } } }, [], 'suppressed-completions'],
    ['suppressed by negative feedback (default on)', {}, {}, {}, ['x'], 'suppressed-feedback'],
  ] as const)('%s', (_, over, setOver, hist, negative, reason) => {
    const set = one(over, setOver);
    const d = select(ctx(), set, history(hist, [...negative]), fresh());
    expect(d.kind).toBe('none');
    expect(loserReason(d, 'x')).toBe(reason);
    // Without consent the history is not used: the same resident is served anonymously.
    const anon = select(ctx({ consent: false }), set, history(hist, [...negative]), fresh());
    expect(anon).toMatchObject({ kind: 'play', campaign: 'x', anonymous: true });
  });

  it.each([
    ['under the daily cap', {}, {}, { x: { '2026-11-23': { plays: 1 } } }, []],
    ['yesterday does not count for today', {}, {}, { x: { '2026-11-22': { plays: 2 } } }, []],
    ['a play 7 days ago is outside the week', { caps: { perDay: 5, perWeek: 3 } }, {}, { x: { '2026-11-16': { plays: 3 } } }, []],
    ['completions without a suppression rule', {}, {}, { x: { '2026-11-01': { plays: 9, completions: 9 } } }, []],
    ['plays without completions do not suppress', { suppression: { afterCompletions: 2 } }, {}, { x: { '2026-11-20': { plays: 2 } } }, []],
    ['negative feedback ignored when configured off', { suppression: { onNegativeFeedback: false } }, {}, {}, ['x']],
    ['negative feedback ignored by set default', {}, { defaults: { suppression: { onNegativeFeedback: false } } }, {}, ['x']],
    ['negative feedback on another campaign', {}, {}, {}, ['y']],
  ] as const)('plays: %s', (_, over, setOver, hist, negative) => {
    expect(play(select(ctx(), one(over, setOver), history(hist, [...negative]), fresh())).campaign).toBe('x');
  });

  it('the global per-resident cap over all campaigns, counting campaigns no longer in the set', () => {
    const set = compile(campaignSet([campaign({ id: 'x' }), campaign({ id: 'y' })], { globalPerDay: 3 }));
    const h = history({ x: { '2026-11-23': { plays: 1 } }, gone: { '2026-11-23': { plays: 2 } } });
    const d = select(ctx(), set, h, fresh());
    expect(d.kind).toBe('none');
    expect(d.losers.map((l) => l.reason)).toEqual(['cap-global', 'cap-global']);
    expect(select(ctx(), set, history({ x: { '2026-11-23': { plays: 1 } }, gone: { '2026-11-23': { plays: 1 } } }), fresh()).kind).toBe('play');
  });

  it('a history that throws half-way leaves nothing behind for the next resident', () => {
    const set = compile(campaignSet([campaign({ id: 'x' }), campaign({ id: 'y' })]));
    const capped = history({ x: { '2026-11-23': { plays: 2 } } });
    const broken: ResidentHistory = {
      ...capped,
      byCampaign: {
        *[Symbol.iterator]() {
          yield* capped.byCampaign;
          throw new Error('disk gone');
        },
      } as unknown as ResidentHistory['byCampaign'],
    };
    expect(() => select(ctx(), set, broken, fresh())).toThrow('disk gone');
    const d = select(ctx(), set, history(), { day: '2026-11-23', byTier: { paid: 1 }, byCampaign: { y: 1 } });
    expect(d).toMatchObject({ kind: 'play', campaign: 'x' });
  });

  it('the counters of the store fit as a resident history', () => {
    const counts: ResidentCounts = { byCampaign: new Map([['x', new Map([['2026-11-23', { plays: 2, completions: 0 }]])]]), playsByDay: new Map([['2026-11-23', 2]]), negative: new Set() };
    const h: ResidentHistory = counts;
    expect(loserReason(select(ctx(), one({}), h, fresh()), 'x')).toBe('cap-day');
  });
});

describe('select(): consent', () => {
  const school = campaign({ id: 'breakfast', segments: ['morning-school-run'] });
  const general = campaign({ id: 'general' });
  const set = compile(campaignSet([school, general]));
  const behind = { day: '2026-11-23', byTier: { paid: 1 }, byCampaign: { general: 1 } };

  it('with consent, segments personalise and the decision names the segments used', () => {
    expect(play(select(ctx({ segments: ['morning-school-run', 'frequent-passer'] }), set, null, behind))).toMatchObject({ campaign: 'breakfast', personalised: true, segmentsUsed: ['morning-school-run'], anonymous: false });
  });

  it.each([
    ['no consent', { consent: false }],
    ['no pseudonym', { pseudonym: null }],
  ] as const)('%s: non-personalised, impression anonymous, segments ignored', (_, c) => {
    const d = play(select(ctx({ ...c, segments: ['morning-school-run'] }), set, history({ general: { '2026-11-23': { plays: 9 } } }), behind));
    expect(d).toMatchObject({ campaign: 'general', personalised: false, segmentsUsed: [], anonymous: true });
    expect(loserReason(d, 'breakfast')).toBe('needs-consent');
  });

  it('a consenting resident in no targeted segment: not personalised, not anonymous', () => {
    expect(play(select(ctx(), set, null, fresh()))).toMatchObject({ campaign: 'general', personalised: false, segmentsUsed: [], anonymous: false });
  });
});

describe('select(): tiers, pacing, variety, dwell fit', () => {
  it('tiers: paid over property over house', () => {
    const set = compile(campaignSet([campaign({ id: 'house', tier: 'house' }), campaign({ id: 'notice', tier: 'property' }), campaign({ id: 'noodles', tier: 'paid' })]));
    const d = play(select(ctx(), set, null, fresh()));
    expect(d).toMatchObject({ campaign: 'noodles', tier: 'paid' });
    expect(d.losers.map((l) => [l.campaign, l.reason])).toEqual([
      ['house', 'lower-tier'],
      ['notice', 'lower-tier'],
    ]);
    const noPaid = compile(campaignSet([campaign({ id: 'house', tier: 'house' }), campaign({ id: 'notice', tier: 'property' })]));
    expect(play(select(ctx(), noPaid, null, fresh()))).toMatchObject({ campaign: 'notice', tier: 'property' });
    // A paid campaign out of its daypart leaves the moment to the property.
    const offHours = compile(campaignSet([campaign({ id: 'noodles', dayparts: [{ start: '17:00', end: '21:00' }] }), campaign({ id: 'notice', tier: 'property' })]));
    expect(play(select(ctx(), offHours, null, fresh())).campaign).toBe('notice');
  });

  it('pacing is deterministic: booked 50/30/20 gives exactly 5/3/2 of 10 plays, in the same order every run', () => {
    const set = compile(campaignSet([campaign({ id: 'a', share: 0.5 }), campaign({ id: 'b', share: 0.3 }), campaign({ id: 'c', share: 0.2 })]));
    const run = () => {
      let p = fresh();
      const order: string[] = [];
      for (let i = 0; i < 10; i++) {
        const d = play(select(ctx({ consent: false, nowMs: at('2026-11-23T08:00:00') + i * 60_000 }), set, null, p));
        p = recordPacing(p, d);
        order.push(d.campaign);
      }
      return { order, p };
    };
    const r = run();
    expect(r.order).toEqual(run().order);
    expect(r.p).toEqual({ day: '2026-11-23', byTier: { paid: 10 }, byCampaign: { a: 5, b: 3, c: 2 } });
  });

  it('pacing weights are normalised over the campaigns eligible now, and pacing from yesterday is ignored', () => {
    const set = compile(campaignSet([campaign({ id: 'a', share: 3 }), campaign({ id: 'b', share: 1 })]));
    const d = play(select(ctx(), set, null, { day: '2026-11-22', byTier: { paid: 100 }, byCampaign: { a: 100 } }));
    expect(d.campaign).toBe('a');
    expect(d.why).toContain('75% share of the paid tier');
  });

  it('recordPacing returns a new state and leaves the old one alone; a new day starts afresh', () => {
    const p0 = fresh();
    const p1 = recordPacing(p0, { day: '2026-11-23', tier: 'paid', campaign: 'a' });
    expect(p0).toEqual(fresh());
    expect(p1).toEqual({ day: '2026-11-23', byTier: { paid: 1 }, byCampaign: { a: 1 } });
    expect(recordPacing(p1, { day: '2026-11-24', tier: 'house', campaign: 'h' })).toEqual({ day: '2026-11-24', byTier: { house: 1 }, byCampaign: { h: 1 } });
  });

  it('dwell fit prefers a creative that fits whole, the longest such; then the shortest that starts; never the one just shown', () => {
    const x = one({
      creatives: [
        { id: 'long', sha256: 'a'.repeat(64), durationMs: 15_000, firstSecondsMs: 2000 },
        { id: 'short', sha256: 'b'.repeat(64), durationMs: 6000, firstSecondsMs: 2000 },
        { id: 'mid', sha256: 'c'.repeat(64), durationMs: 9000, firstSecondsMs: 2000 },
      ],
    });
    const creativeAt = (remainingDwellMs: number, lastCreativeAtDoor: string | null = null) => play(select(ctx({ remainingDwellMs, lastCreativeAtDoor }), x, null, fresh())).creative.id;
    expect(creativeAt(10_000)).toBe('mid');
    expect(creativeAt(10_000, 'mid')).toBe('short');
    expect(creativeAt(20_000)).toBe('long');
    expect(creativeAt(4000)).toBe('short');
    expect(creativeAt(4000, 'short')).toBe('mid');
    expect(select(ctx({ remainingDwellMs: 1999 }), x, null, fresh()).kind).toBe('none');
  });

  it('variety across campaigns: the runner-up plays instead of a repeat when it is as far behind', () => {
    const set = compile(campaignSet([campaign({ id: 'a' }), campaign({ id: 'b' })]));
    const first = play(select(ctx(), set, null, fresh()));
    const again = play(select(ctx({ lastCreativeAtDoor: first.creative.id }), set, null, fresh()));
    expect(again.campaign).not.toBe(first.campaign);
    // Far behind its share, a campaign plays again rather than lose its booking.
    const behind = play(select(ctx({ lastCreativeAtDoor: 'a-a' }), set, null, { day: '2026-11-23', byTier: { paid: 4 }, byCampaign: { b: 4 } }));
    expect(behind.campaign).toBe('a');
    // Alone in its tier, a campaign repeats rather than leave the screen dark.
    expect(play(select(ctx({ lastCreativeAtDoor: 'x-a' }), one({}), null, fresh())).campaign).toBe('x');
  });
});

describe('select(): quiet hours', () => {
  const set = compile(
    campaignSet([campaign({ id: 'x' })], {
      quietHours: [
        { start: '22:00', end: '07:00', dim: true },
        { start: '13:00', end: '14:00', days: [0] },
        { start: '23:00', end: '09:00', days: [5] },
      ],
    }),
  );
  it.each([
    ['night, dimmed', '2026-11-23T23:00:00', 'muted', true],
    ['night ends at 07:00 (exclusive)', '2026-11-23T07:00:00', 'on', false],
    ['after midnight', '2026-11-24T03:00:00', 'muted', true],
    ['Sunday siesta', '2026-11-22T13:30:00', 'muted', false],
    ['not on Monday', '2026-11-23T13:30:00', 'on', false],
    ['Friday night reaches Saturday morning', '2026-11-28T08:30:00', 'muted', false],
    ['but not Friday morning', '2026-11-27T08:30:00', 'on', false],
  ] as const)('%s', (_, local, audio, dim) => {
    expect(select(ctx({ nowMs: at(local) }), set, null, fresh())).toMatchObject({ kind: 'play', audio, dim });
  });
  it('quiet hours apply when nothing plays too', () => {
    expect(select(ctx({ nowMs: at('2026-11-23T23:00:00'), remainingDwellMs: 0 }), set, null, fresh())).toMatchObject({ kind: 'none', audio: 'muted', dim: true });
  });
});

describe('select(): explanations', () => {
  it('the reason codes are a closed set with fixed texts', () => {
    expect(Object.keys(REASONS)).toEqual(['dates', 'day', 'daypart', 'site', 'door', 'needs-consent', 'segment', 'cap-day', 'cap-week', 'cap-global', 'suppressed-completions', 'suppressed-feedback', 'no-fit', 'lower-tier', 'paced']);
    for (const text of Object.values(REASONS)) expect(text.length).toBeGreaterThan(10);
  });

  it('explains the winner and the closest five losers, closest first, the same way every time', () => {
    const cs = [
      campaign({ id: 'a', share: 0.5 }),
      campaign({ id: 'b', share: 0.5 }),
      campaign({ id: 'h', tier: 'house' }),
      campaign({ id: 'z', scope: { doors: ['west'] } }),
      campaign({ id: 'd', dates: { from: '2025-01-01', to: '2025-01-02' } }),
      campaign({ id: 'e', days: [0] }),
      campaign({ id: 'f', dayparts: [{ start: '20:00', end: '21:00' }] }),
    ];
    const d1 = play(select(ctx(), compile(campaignSet(cs)), null, fresh()));
    const d2 = play(select(ctx(), compile(campaignSet([...cs].reverse())), null, fresh()));
    expect(d1).toEqual(d2);
    expect(d1.why).toMatch(/^paid campaign [ab]: 0\.50 plays behind its 50% share of the paid tier today; creative [ab]-a \(8\.0 s\) fits 10\.0 s of dwell$/);
    expect(d1.losers.map((l) => l.reason)).toEqual(['paced', 'lower-tier', 'door', 'daypart', 'day']);
    expect(d1.losers[0]!.text).toBe(REASONS.paced);
  });

  it('nothing eligible: says so, with the reasons', () => {
    const d = select(ctx(), compile(campaignSet([campaign({ id: 'late', dayparts: [{ start: '20:00', end: '21:00' }] })])), null, fresh());
    expect(d).toMatchObject({ kind: 'none', why: 'no campaign is eligible now', losers: [{ campaign: 'late', reason: 'daypart' }] });
    expect(select(ctx(), compile(campaignSet([])), null, fresh())).toMatchObject({ kind: 'none', losers: [] });
  });
});
