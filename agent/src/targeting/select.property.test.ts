// Targeting properties: share of voice over a simulated day, caps and suppression over a
// simulated month (across DST changes), determinism, dwell fit and consent. Every loop is
// bounded; fast-check seeds are reported on failure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Campaign, TIERS } from './campaign.js';
import { compile, type Decision, emptyPacing, type PacingState, recordPacing, select } from './select.js';
import { at, campaign, campaignSet, context as ctx, history, SimHistory } from './testing.js';

const DAY_MS = 86_400_000;

/** A small deterministic generator for the simulations (fast-check gives the seed). */
function lcg(seed: number): () => number {
  let r = seed >>> 0;
  return () => {
    r = (Math.imul(r, 1103515245) + 12345) >>> 0;
    return r / 2 ** 32;
  };
}

const dayKeyFormats = new Map<string, Intl.DateTimeFormat>();
/** The site-local day, computed independently of site-time.ts (en-CA formats as YYYY-MM-DD). */
function localDay(ms: number, timeZone: string): string {
  let f = dayKeyFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayKeyFormats.set(timeZone, f);
  }
  return f.format(ms);
}

describe('select(): properties', () => {
  it('share of voice within ±5% of booked over a simulated day (two doors, variety, anonymous and consenting residents)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 2, maxLength: 8 }), fc.integer({ min: 200, max: 1000 }), fc.integer(), (weights, n, seed) => {
        const rand = lcg(seed);
        // A house campaign that must never take a paid play, and a lower tier beside it.
        const cs = [...weights.map((w, i) => campaign({ id: `s${i}`, share: w / 20, creatives: [{ id: `s${i}-a`, sha256: 'a'.repeat(64), durationMs: 6000 }] })), campaign({ id: 'filler', tier: 'house' })];
        const set = compile(campaignSet(cs));
        let pacing: PacingState = emptyPacing();
        const counts = new Map<string, number>();
        const last = new Map<string, string>();
        const start = at('2026-11-23T06:00:00');
        for (let i = 0; i < n; i++) {
          const door = rand() < 0.5 ? 'east-gate' : 'west-gate';
          const consent = rand() < 0.5;
          const d = select(ctx({ nowMs: start + Math.floor((i * 16 * 3600_000) / n), door, consent, lastCreativeAtDoor: last.get(door) ?? null }), set, null, pacing);
          if (d.kind !== 'play') throw new Error(d.why);
          pacing = recordPacing(pacing, d);
          last.set(door, d.creative.id);
          counts.set(d.campaign, (counts.get(d.campaign) ?? 0) + 1);
        }
        const total = weights.reduce((a, b) => a + b, 0);
        expect(counts.get('filler')).toBeUndefined();
        weights.forEach((w, i) => {
          expect(Math.abs((counts.get(`s${i}`) ?? 0) / n - w / total)).toBeLessThanOrEqual(0.05);
        });
      }),
      { numRuns: 40 },
    );
  });

  it('caps and suppression are never exceeded over a simulated month of unlocks, across DST changes', () => {
    const capsArb = fc.record({ perDay: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }), perWeek: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }) });
    const suppressionArb = fc.record({ afterCompletions: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }), onNegativeFeedback: fc.option(fc.boolean(), { nil: undefined }) });
    fc.assert(
      fc.property(
        fc.array(fc.record({ caps: capsArb, suppression: suppressionArb, tier: fc.constantFrom(...TIERS) }), { minLength: 1, maxLength: 5 }),
        fc.record({ caps: fc.record({ perDay: fc.integer({ min: 1, max: 3 }), perWeek: fc.option(fc.integer({ min: 2, max: 12 }), { nil: undefined }) }), suppression: suppressionArb }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom('Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'Australia/Sydney'),
        fc.constantFrom('2026-03-15', '2026-10-20', '2026-12-20'),
        fc.integer(),
        (specs, defaults, globalPerDay, timeZone, from, seed) => {
          const rand = lcg(seed);
          const cs: Campaign[] = specs.map((s, i) => campaign({ id: `m${i}`, tier: s.tier, caps: strip(s.caps), suppression: strip(s.suppression) }));
          const set = compile(campaignSet(cs, { globalPerDay, defaults: { caps: strip(defaults.caps), suppression: strip(defaults.suppression) } }));
          const residents = Array.from({ length: 3 }, () => new SimHistory());
          const negativeAt = new Map<string, number>(); // resident#campaign → unlock index of the feedback
          let pacing: PacingState = emptyPacing();
          const start = Date.parse(`${from}T00:00:00Z`);
          const plays: { r: number; d: Extract<Decision, { kind: 'play' }>; k: number }[] = [];
          let k = 0;
          for (let day = 0; day < 30; day++) {
            const unlocks = Math.floor(rand() * 14);
            const times = Array.from({ length: unlocks }, () => start + day * DAY_MS + Math.floor(rand() * DAY_MS)).sort((a, b) => a - b);
            for (const nowMs of times) {
              const r = Math.floor(rand() * residents.length);
              const h = residents[r]!;
              const d = select(ctx({ nowMs, timeZone }), set, h, pacing);
              expect(d.day).toBe(localDay(nowMs, timeZone));
              k++;
              if (d.kind !== 'play') continue;
              pacing = recordPacing(pacing, d);
              h.play(d.campaign, d.day, rand() < 0.6);
              plays.push({ r, d, k });
              if (rand() < 0.05 && !h.negative.has(d.campaign)) {
                h.negative.add(d.campaign);
                negativeAt.set(`${r}#${d.campaign}`, k);
              }
            }
          }
          for (const h of residents) {
            for (const [id, days] of h.byCampaign) {
              const c = cs.find((x) => x.id === id)!;
              const perDay = c.caps.perDay ?? defaults.caps.perDay;
              const perWeek = c.caps.perWeek ?? defaults.caps.perWeek ?? Number.POSITIVE_INFINITY;
              for (const [dday, x] of days) {
                expect(x.plays).toBeLessThanOrEqual(perDay);
                let week = 0;
                for (const [other, y] of days) if (other <= dday && Date.parse(dday) - Date.parse(other) < 7 * DAY_MS) week += y.plays;
                expect(week).toBeLessThanOrEqual(perWeek);
              }
              // Once seen to completion N times, never played again: completions can exceed N by at most the play that reached it.
              const after = c.suppression.afterCompletions ?? defaults.suppression.afterCompletions;
              if (after !== undefined) {
                const completions = [...days.values()].reduce((n, x) => n + x.completions, 0);
                expect(completions).toBeLessThanOrEqual(after);
              }
            }
            for (const [, n] of h.playsByDay) expect(n).toBeLessThanOrEqual(globalPerDay);
          }
          for (const { r, d, k: when } of plays) {
            const c = cs.find((x) => x.id === d.campaign)!;
            const fb = negativeAt.get(`${r}#${d.campaign}`);
            if ((c.suppression.onNegativeFeedback ?? defaults.suppression.onNegativeFeedback ?? true) && fb !== undefined) expect(when).toBeLessThanOrEqual(fb);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the same inputs give the same decision whatever the order of the campaigns', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ tier: fc.constantFrom(...TIERS), share: fc.integer({ min: 1, max: 10 }), part: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer(),
        (specs, played, seed) => {
          const rand = lcg(seed);
          const cs = specs.map((s, i) => campaign({ id: `p${i}`, tier: s.tier, share: s.share / 10, dayparts: s.part ? [{ start: '07:00', end: '08:00' }] : undefined }));
          const shuffled = [...cs].sort(() => rand() - 0.5);
          let pacing: PacingState = emptyPacing('2026-11-23');
          for (let i = 0; i < played; i++) pacing = recordPacing(pacing, { day: '2026-11-23', tier: cs[i % cs.length]!.tier, campaign: cs[i % cs.length]!.id });
          const h = history({ p0: { '2026-11-23': { plays: 2 } } });
          const a = select(ctx(), compile(campaignSet(cs)), h, pacing);
          expect(select(ctx(), compile(campaignSet(shuffled)), h, pacing)).toEqual(a);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('never starts a clip whose first seconds cannot be shown', () => {
    const creativeArb = fc.record({ durationMs: fc.integer({ min: 500, max: 30_000 }), firstSecondsMs: fc.integer({ min: 0, max: 10_000 }) });
    fc.assert(
      fc.property(fc.array(fc.array(creativeArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 20_000 }), (specs, remainingDwellMs) => {
        const cs = specs.map((cr, i) => campaign({ id: `f${i}`, creatives: cr.map((x, j) => ({ id: `f${i}-${j}`, sha256: 'a'.repeat(64), ...x })) }));
        const d = select(ctx({ remainingDwellMs }), compile(campaignSet(cs)), null, emptyPacing());
        const fits = specs.some((cr) => cr.some((x) => Math.min(x.firstSecondsMs, x.durationMs) <= remainingDwellMs));
        expect(d.kind).toBe(fits ? 'play' : 'none');
        if (d.kind === 'play') expect(Math.min(d.creative.firstSecondsMs, d.creative.durationMs)).toBeLessThanOrEqual(remainingDwellMs);
      }),
      { numRuns: 200 },
    );
  });

  it('without consent, neither history nor segments change the decision, and it is anonymous', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.boolean(), (plays, negative, hasPseudonym) => {
        const set = compile(campaignSet([campaign({ id: 'x' }), campaign({ id: 'y', segments: ['frequent-passer'] }), campaign({ id: 'z', tier: 'house' })]));
        const h = history({ x: { '2026-11-23': { plays } } }, negative ? ['x'] : []);
        const c = ctx({ consent: false, pseudonym: hasPseudonym ? 'k1.AAAAAAAAAAAAAAAAAAAAAA' : null, segments: ['frequent-passer'] });
        const d = select(c, set, h, emptyPacing());
        expect(d).toEqual(select({ ...c, segments: [] }, set, null, emptyPacing()));
        expect(d).toMatchObject({ kind: 'play', campaign: 'x', anonymous: true, personalised: false, segmentsUsed: [] });
      }),
      { numRuns: 50 },
    );
  });
});

/** Drops undefined fields (the schemas are strict about shape, not about absent options). */
function strip<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
