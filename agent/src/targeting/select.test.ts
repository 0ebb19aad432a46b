// Targeting: one table row per rule, then properties over simulated days and months.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CampaignSetError, parseCampaignSet } from './campaign.js';
import { evaluateSegments } from './segments.js';
import { compile, type Decision, type PacingState, recordPacing, type SelectContext, select } from './select.js';
import { siteTime } from './site-time.js';
import { campaign, campaignSet, history, SimHistory } from './testing.js';

const TZ = 'Asia/Shanghai';
// Monday 2026-11-23 07:30 in Shanghai.
const MON_0730 = Date.parse('2026-11-23T07:30:00+08:00');
const ctx = (over: Partial<SelectContext> = {}): SelectContext => ({ nowMs: MON_0730, timeZone: TZ, door: 'east-gate', remainingDwellMs: 10_000, pseudonym: 'k1.AAAAAAAAAAAAAAAAAAAAAA', consent: true, segments: [], ...over });
const fresh = (): PacingState => ({ day: '2026-11-23', byTier: {}, byCampaign: {} });
const play = (d: Decision) => {
  if (d.kind !== 'play') throw new Error(`no play: ${d.why} ${JSON.stringify(d.losers)}`);
  return d;
};
const loserReason = (d: Decision, id: string) => d.losers.find((l) => l.campaign === id)?.reason;

describe('select(): one rule at a time', () => {
  it.each([
    ['dates', { dates: { from: '2026-12-01', to: '2026-12-31' } }, {}, 'dates'],
    ['days of week (Mon is 1)', { days: [0, 6] }, {}, 'day'],
    ['dayparts', { dayparts: [{ start: '16:30', end: '21:00' }] }, {}, 'daypart'],
    ['door scope', { doors: ['west-gate'] }, {}, 'door'],
    ['segments need consent', { segments: ['morning-school-run'] }, { consent: false }, 'needs-consent'],
    ['segments must match', { segments: ['evening-returner'] }, { segments: ['morning-school-run'] }, 'segment'],
    ['dwell fit: first seconds longer than the dwell left', { creatives: [{ id: 'long', sha256: 'b'.repeat(64), durationMs: 20_000, firstSecondsMs: 6000 }] }, { remainingDwellMs: 5000 }, 'no-fit'],
  ] as const)('%s', (_, over, c, reason) => {
    const x = campaign({ id: 'x', ...over });
    const d = select(ctx(c), compile(campaignSet([x])), history(), fresh());
    expect(d.kind).toBe('none');
    expect(loserReason(d, 'x')).toBe(reason);
  });

  it('dayparts spanning midnight, and the ones that match', () => {
    const night = campaign({ id: 'night', dayparts: [{ start: '22:00', end: '08:00' }] });
    expect(play(select(ctx(), compile(campaignSet([night])), null, fresh())).campaign).toBe('night');
    const late = Date.parse('2026-11-23T23:10:00+08:00');
    expect(play(select(ctx({ nowMs: late }), compile(campaignSet([night])), null, fresh())).campaign).toBe('night');
    expect(select(ctx({ nowMs: Date.parse('2026-11-23T12:00:00+08:00') }), compile(campaignSet([night])), null, fresh()).kind).toBe('none');
  });

  it.each([
    ['daily cap (default 2)', {}, { x: { '2026-11-23': { plays: 2 } } }, [], 'cap-day'],
    ['weekly cap', { caps: { perDay: 5, perWeek: 3 } }, { x: { '2026-11-20': { plays: 2 }, '2026-11-22': { plays: 1 } } }, [], 'cap-week'],
    ['suppressed after N completions', { suppression: { afterCompletions: 3 } }, { x: { '2026-11-01': { plays: 3, completions: 3 } } }, [], 'suppressed-completions'],
    ['suppressed by negative feedback', {}, {}, ['x'], 'suppressed-feedback'],
  ] as const)('%s', (_, over, hist, negative, reason) => {
    const x = campaign({ id: 'x', ...over });
    const d = select(ctx(), compile(campaignSet([x])), history(hist, [...negative]), fresh());
    expect(loserReason(d, 'x')).toBe(reason);
    // Without consent the history is not used: the same resident is served anonymously.
    expect(select(ctx({ consent: false }), compile(campaignSet([x])), history(hist, [...negative]), fresh()).kind).toBe('play');
  });

  it('the global per-resident cap over all campaigns', () => {
    const set = campaignSet([campaign({ id: 'x' }), campaign({ id: 'y' })], { globalPerDay: 3 });
    const d = select(ctx(), compile(set), history({ x: { '2026-11-23': { plays: 1 } }, z: { '2026-11-23': { plays: 2 } } }), fresh());
    expect(d.kind).toBe('none');
    expect(d.losers.map((l) => l.reason)).toEqual(['cap-global', 'cap-global']);
  });

  it('tiers: paid over property over house', () => {
    const set = compile(campaignSet([campaign({ id: 'house', tier: 'house' }), campaign({ id: 'notice', tier: 'property' }), campaign({ id: 'noodles', tier: 'paid' })]));
    const d = play(select(ctx(), set, null, fresh()));
    expect(d.campaign).toBe('noodles');
    expect(d.losers.filter((l) => l.reason === 'lower-tier').map((l) => l.campaign)).toEqual(['house', 'notice']);
    const noPaid = compile(campaignSet([campaign({ id: 'house', tier: 'house' }), campaign({ id: 'notice', tier: 'property' })]));
    expect(play(select(ctx(), noPaid, null, fresh())).campaign).toBe('notice');
  });

  it('dwell fit prefers a creative that fits whole, and never the one just shown when another fits', () => {
    const x = campaign({
      id: 'x',
      creatives: [
        { id: 'long', sha256: 'a'.repeat(64), durationMs: 15_000, firstSecondsMs: 2000 },
        { id: 'short', sha256: 'b'.repeat(64), durationMs: 6000, firstSecondsMs: 2000 },
        { id: 'mid', sha256: 'c'.repeat(64), durationMs: 9000, firstSecondsMs: 2000 },
      ],
    });
    expect(play(select(ctx({ remainingDwellMs: 10_000 }), compile(campaignSet([x])), null, fresh())).creative.id).toBe('mid');
    expect(play(select(ctx({ remainingDwellMs: 10_000, lastCreativeAtDoor: 'mid' }), compile(campaignSet([x])), null, fresh())).creative.id).toBe('short');
    expect(play(select(ctx({ remainingDwellMs: 4000 }), compile(campaignSet([x])), null, fresh())).creative.id).toBe('short');
  });

  it('variety across campaigns: the runner-up plays instead of a repeat when it is as far behind', () => {
    const set = compile(campaignSet([campaign({ id: 'a' }), campaign({ id: 'b' })]));
    const first = play(select(ctx(), set, null, fresh()));
    const again = play(select(ctx({ lastCreativeAtDoor: first.creative.id }), set, null, fresh()));
    expect(again.campaign).not.toBe(first.campaign);
    // Far behind its share, a campaign plays again rather than lose its booking.
    const behind = play(select(ctx({ lastCreativeAtDoor: 'a-a' }), set, null, { day: '2026-11-23', byTier: { paid: 4 }, byCampaign: { b: 4 } }));
    expect(behind.campaign).toBe('a');
  });

  it('consent: segments personalise only with consent; impressions then name the segments used', () => {
    const school = campaign({ id: 'breakfast', segments: ['morning-school-run'] });
    const general = campaign({ id: 'general' });
    const set = compile(campaignSet([school, general]));
    const withConsent = play(select(ctx({ segments: ['morning-school-run'] }), set, null, { day: '2026-11-23', byTier: { paid: 1 }, byCampaign: { general: 1 } }));
    expect(withConsent).toMatchObject({ campaign: 'breakfast', personalised: true, segmentsUsed: ['morning-school-run'] });
    const without = play(select(ctx({ consent: false, segments: ['morning-school-run'] }), set, null, fresh()));
    expect(without).toMatchObject({ campaign: 'general', personalised: false, segmentsUsed: [] });
  });

  it('quiet hours mute audio and may dim', () => {
    const set = compile(campaignSet([campaign({ id: 'x' })], { quietHours: [{ start: '22:00', end: '07:00', dim: true }] }));
    expect(select(ctx({ nowMs: Date.parse('2026-11-23T23:00:00+08:00') }), set, null, fresh())).toMatchObject({ audio: 'muted', dim: true });
    expect(select(ctx(), set, null, fresh())).toMatchObject({ audio: 'on', dim: false });
  });

  it('explains the winner and the closest losers, the same way every time', () => {
    const set = compile(campaignSet([campaign({ id: 'a', share: 0.5 }), campaign({ id: 'b', share: 0.5 }), campaign({ id: 'h', tier: 'house' }), campaign({ id: 'z', doors: ['west'] })]));
    const d1 = play(select(ctx(), set, null, fresh()));
    const d2 = play(select(ctx(), set, null, fresh()));
    expect(d1).toEqual(d2);
    expect(d1.why).toMatch(/^paid campaign [ab]: 0\.50 plays behind its 50% share of the paid tier today; creative [ab]-a \(8\.0 s\) fits 10\.0 s of dwell$/);
    expect(d1.losers.map((l) => l.reason)).toEqual(['paced', 'lower-tier', 'door']);
    expect(d1.losers[0]!.text).toMatch(/further behind its booked share/);
  });

  it('refuses a bad campaign set with the path of each problem', () => {
    expect(() => parseCampaignSet({ campaigns: [{ id: 'x', tier: 'gold', dates: { from: '2026-02-01', to: '2026-01-01' }, creatives: [] }] })).toThrow(CampaignSetError);
    try {
      parseCampaignSet({ campaigns: [{ id: 'x', tier: 'gold', dates: { from: '2026-02-01', to: '2026-01-01' }, creatives: [] }] });
    } catch (err) {
      expect((err as CampaignSetError).issues).toEqual(expect.arrayContaining([expect.stringMatching(/^campaigns\.0\.tier: /), expect.stringMatching(/^campaigns\.0\.creatives: /)]));
    }
  });
});

describe('select(): properties', () => {
  it('share of voice within ±5% of booked over a simulated day', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 2, maxLength: 6 }), fc.integer({ min: 1, max: 1000 }), (weights, seed) => {
        const cs = weights.map((w, i) => campaign({ id: `s${i}`, share: w / 20 }));
        const set = compile(campaignSet(cs));
        let pacing: PacingState = fresh();
        const counts = new Map<string, number>();
        const n = 1000;
        let last: string | null = null;
        for (let i = 0; i < n; i++) {
          const now = Date.parse('2026-11-23T06:00:00+08:00') + Math.floor((i * 16 * 3600_000) / n);
          const d = play(select(ctx({ nowMs: now, pseudonym: null, consent: false, lastCreativeAtDoor: (seed + i) % 3 === 0 ? last : null }), set, null, pacing));
          pacing = recordPacing(pacing, d);
          last = d.creative.id;
          counts.set(d.campaign, (counts.get(d.campaign) ?? 0) + 1);
        }
        const total = weights.reduce((a, b) => a + b, 0);
        weights.forEach((w, i) => {
          expect(Math.abs((counts.get(`s${i}`) ?? 0) / n - w / total)).toBeLessThanOrEqual(0.05);
        });
      }),
      { numRuns: 40 },
    );
  });

  it('caps are never exceeded over a simulated month of unlocks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 10 }), fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 1e6 }), (perDay, perWeek, globalPerDay, seed) => {
        const cs = [0, 1, 2].map((i) => campaign({ id: `m${i}`, caps: { perDay, perWeek } }));
        const set = compile(campaignSet(cs, { globalPerDay }));
        const h = new SimHistory();
        let pacing: PacingState = fresh();
        let r = seed;
        const rand = () => {
          r = (Math.imul(r, 1103515245) + 12345) >>> 0;
          return r / 2 ** 32;
        };
        for (let day = 0; day < 30; day++) {
          for (let k = 0; k < 10; k++) {
            const now = Date.parse('2026-11-01T06:00:00+08:00') + day * 86_400_000 + Math.floor(rand() * 16 * 3600_000);
            const d = select(ctx({ nowMs: now }), set, h, pacing);
            if (d.kind === 'play') {
              pacing = recordPacing(pacing, d);
              h.play(d.campaign, d.day, rand() < 0.5);
            }
          }
        }
        for (const [, days] of h.byCampaign) {
          const sorted = [...days.keys()].sort();
          for (const dday of sorted) {
            expect(days.get(dday)!.plays).toBeLessThanOrEqual(perDay);
            const week = sorted.filter((x) => x <= dday && Date.parse(dday) - Date.parse(x) < 7 * 86_400_000).reduce((n, x) => n + days.get(x)!.plays, 0);
            expect(week).toBeLessThanOrEqual(perWeek);
          }
        }
        for (const [, n] of h.playsByDay) expect(n).toBeLessThanOrEqual(globalPerDay);
      }),
      { numRuns: 60 },
    );
  });
});

describe('segments from passage history', () => {
  it('morning-school-run, evening-returner, frequent-passer from 28 days of passages', () => {
    const rules = parseCampaignSet({
      campaigns: [],
      segmentRules: [
        { name: 'morning-school-run', kind: 'window-days', window: { start: '07:00', end: '09:00' }, days: [1, 2, 3, 4, 5], minDays: 8 },
        { name: 'evening-returner', kind: 'window-days', window: { start: '16:30', end: '21:00' }, minDays: 10 },
        { name: 'frequent-passer', kind: 'passes-per-day', minPerDay: 3 },
      ],
    }).segmentRules;
    const now = Date.parse('2026-11-23T12:00:00+08:00');
    const at = (daysAgo: number, hhmm: string) => ({ atMs: Date.parse(`2026-11-23T${hhmm}:00+08:00`) - daysAgo * 86_400_000, door: 'east-gate' });
    const weekdays = [...Array(28).keys()].filter((d) => ![0, 6].includes(siteTime(now - d * 86_400_000, TZ).dow));
    const parent = weekdays.slice(0, 12).map((d) => at(d, '07:40'));
    expect(evaluateSegments(parent, rules, now, TZ)).toEqual(['morning-school-run']);
    const busy = [...Array(10).keys()].flatMap((d) => [at(d, '08:00'), at(d, '12:00'), at(d, '18:00')]);
    expect(evaluateSegments(busy, rules, now, TZ)).toEqual(['evening-returner', 'frequent-passer', 'morning-school-run'].filter((s) => s !== 'morning-school-run' || weekdays.filter((d) => d < 10).length >= 8));
    // Passages older than the window do not count.
    expect(evaluateSegments(parent.map((p) => ({ ...p, atMs: p.atMs - 40 * 86_400_000 })), rules, now, TZ)).toEqual([]);
  });
});
