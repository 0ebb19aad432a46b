// buildReport is pure: facts in, aggregates out. Suppression, frequency, local dates.
import { describe, expect, it } from 'vitest';
import type { CampaignFact } from '../store/impression-store.js';
import { buildReport, type ReportInput } from './report.js';

const P = (c: string) => `k1.${c.repeat(22)}`;
const fact = (over: Partial<CampaignFact>): CampaignFact => ({ site: 'maple', device: 'gate-1', door: 1, hour: '2026-11-30T23', pseudonym: null, plays: 1, completed: 1, failed: 0, ...over });
const input = (facts: CampaignFact[], over: Partial<ReportInput> = {}): ReportInput => ({
  campaignId: 'c',
  from: '2026-12-01',
  to: '2026-12-02',
  dates: ['2026-12-01', '2026-12-02'],
  minCohort: 3,
  facts,
  timeZoneOf: () => 'Asia/Shanghai',
  scheduled: 40.4,
  ...over,
});

describe('buildReport', () => {
  it('maps UTC hours to site-local dates and dayparts, and counts plays, completions and residents', () => {
    // 2026-11-30T23 UTC is 07:00 on 1 December in Shanghai: morning.
    const r = buildReport(input([fact({ pseudonym: P('A'), plays: 2, completed: 1 }), fact({ pseudonym: P('B') }), fact({ pseudonym: P('C'), hour: '2026-12-01T17' }), fact({ pseudonym: null, plays: 3, completed: 3 })]));
    expect(r.totals).toMatchObject({ plays: 7, completed: 6, residents: 3, anonymousPlays: 3, suppressed: false, completionRate: 0.8571 });
    // 2 December has one resident only, below the cohort of 3; 1 December is then hidden too,
    // or the total minus 1 December would give 2 December away.
    expect(r.byDay).toEqual([
      { key: '2026-12-01', plays: null, completed: null, completionRate: null, residents: null, suppressed: true },
      { key: '2026-12-02', plays: null, completed: null, completionRate: null, residents: null, suppressed: true },
    ]);
    // C's 01:00 play is the only night cell, so the smallest other daypart (morning) goes too.
    expect(r.byDaypart.filter((c) => c.suppressed).map((c) => c.key)).toEqual(['night', 'morning']);
    expect(r.byDaypart.find((c) => c.key === 'evening')).toMatchObject({ plays: 0, suppressed: false });
    expect(r.funnel).toEqual([
      { stage: 'scheduled', count: 40 },
      { stage: 'played', count: 7 },
      { stage: 'completed', count: 6 },
    ]);
  });

  it('complementary suppression: one hidden cell never stands alone, so totals cannot reveal it', () => {
    const many = (hour: string, tag: string, n: number) => Array.from({ length: n }, (_, i) => fact({ pseudonym: `k1.${tag}${i}`, hour }));
    const r = buildReport(input([...many('2026-11-30T23', 'A', 6), ...many('2026-12-01T01', 'B', 4), ...many('2026-12-01T10', 'C', 1)], { minCohort: 3 }));
    // Local 07:00 and 09:00 (morning) and 18:00 (evening, one resident): evening hidden, so
    // is the smallest other daypart with plays.
    const hidden = r.byDaypart.filter((c) => c.suppressed).map((c) => c.key);
    expect(hidden).toContain('evening');
    expect(hidden).toHaveLength(2);
    for (const table of [r.byDay, r.byDaypart, r.bySite, r.byDoor]) expect(table.filter((c) => c.suppressed && c.plays === null).length).not.toBe(1);
  });

  it('anonymous plays count as one person at most', () => {
    const r = buildReport(input([fact({ pseudonym: null, plays: 50 }), fact({ pseudonym: P('A') })]));
    expect(r.totals.suppressed).toBe(true);
    expect(r.totals.plays).toBeNull();
    expect(r.funnel[1]!.count).toBeNull();
    const ok = buildReport(input([fact({ pseudonym: null, plays: 50 }), fact({ pseudonym: P('A') }), fact({ pseudonym: P('B') })]));
    expect(ok.totals).toMatchObject({ plays: 52, residents: 2, suppressed: false });
  });

  it('frequency: residents by plays, buckets under the cohort suppressed', () => {
    const facts = [
      ...['A', 'B', 'C'].map((c) => fact({ pseudonym: P(c) })),
      ...['D', 'E', 'F'].map((c) => fact({ pseudonym: P(c), plays: 2 })),
      fact({ pseudonym: P('G'), plays: 2, hour: '2026-12-01T00' }),
      fact({ pseudonym: P('G'), plays: 1, hour: '2026-12-01T01' }),
    ];
    expect(buildReport(input(facts)).frequency).toEqual([
      { bucket: '1', residents: null, suppressed: true },
      { bucket: '2', residents: 3, suppressed: false },
      { bucket: '3+', residents: null, suppressed: true },
    ]);
  });

  it('failed plays are counted apart and reach nobody', () => {
    const r = buildReport(input([fact({ pseudonym: P('A'), plays: 0, completed: 0, failed: 4 }), ...['B', 'C', 'D'].map((c) => fact({ pseudonym: P(c) }))]));
    expect(r.totals).toMatchObject({ plays: 3, failed: 4, residents: 3 });
  });

  it('trims facts outside the local dates, and keys doors by site, device and door', () => {
    const r = buildReport(input([...['A', 'B', 'C'].map((c) => fact({ pseudonym: P(c), door: 2 })), fact({ pseudonym: P('Z'), hour: '2026-11-30T15' })]));
    // 15:00 UTC on 30 November is 23:00 local on 30 November: outside.
    expect(r.totals.plays).toBe(3);
    expect(r.byDoor.map((c) => c.key)).toEqual(['maple/gate-1#2']);
  });

  it('never lets a pseudonym out', () => {
    const r = buildReport(input(['A', 'B', 'C', 'D'].map((c) => fact({ pseudonym: P(c) }))));
    expect(JSON.stringify(r)).not.toMatch(/k1\./);
  });
});
