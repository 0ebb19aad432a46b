// Segments from a resident's own passages: data rules, evaluated on the device.
import { describe, expect, it } from 'vitest';
import { parseCampaignSet, type SegmentRule } from './campaign.js';
import { evaluateSegments, type Passage } from './segments.js';
import { at, TZ } from './testing.js';

const DAY = 86_400_000;
// Monday 2026-11-23, noon in Shanghai.
const NOW = at('2026-11-23T12:00:00');
const rules: SegmentRule[] = parseCampaignSet({
  campaigns: [],
  segmentRules: [
    { name: 'morning-school-run', kind: 'window-days', window: { start: '07:00', end: '09:00' }, days: [1, 2, 3, 4, 5], minDays: 8 },
    { name: 'evening-returner', kind: 'window-days', window: { start: '16:30', end: '21:00' }, minDays: 10 },
    { name: 'daytime-at-home', kind: 'window-days', window: { start: '10:00', end: '16:00' }, days: [1, 2, 3, 4, 5], minDays: 6, lastDays: 14 },
    { name: 'night-owl', kind: 'window-days', window: { start: '23:00', end: '02:00' }, minDays: 3 },
    { name: 'uses-the-back-gate', kind: 'window-days', window: { start: '00:00', end: '00:00' }, doors: ['back-gate'], minDays: 2 },
    { name: 'frequent-passer', kind: 'passes-per-day', minPerDay: 3, minDays: 5 },
  ],
}).segmentRules;

/** A passage `daysAgo` days before today at local HH:MM. */
const p = (daysAgo: number, hhmm: string, door = 'east-gate'): Passage => ({ atMs: at(`2026-11-23T${hhmm}:00`) - daysAgo * DAY, door });
// Days ago that were weekdays (2026-11-23 is a Monday).
const weekdays = [...Array(28).keys()].filter((d) => ![0, 6].includes((((1 - d) % 7) + 7) % 7));

describe('evaluateSegments', () => {
  it.each([
    ['nobody: no passages', [], []],
    ['a parent on the school run', weekdays.slice(0, 10).map((d) => p(d, '07:40')), ['morning-school-run']],
    ['the school run needs 8 distinct days, not 8 passages', weekdays.slice(0, 4).flatMap((d) => [p(d, '07:10'), p(d, '07:50')]), []],
    ['weekend mornings are not the school run', [...Array(28).keys()].filter((d) => !weekdays.includes(d)).map((d) => p(d, '08:00')), []],
    ['an evening returner', [...Array(12).keys()].map((d) => p(d, '18:30')), ['evening-returner']],
    ['daytime at home, within its 14 days', weekdays.slice(0, 7).map((d) => p(d, '11:00')), ['daytime-at-home']],
    ['daytime passages older than 14 days do not count', weekdays.slice(-8).map((d) => p(d, '11:00')), []],
    ['a night owl, across midnight', [p(1, '23:30'), p(2, '01:30'), p(4, '00:10')], ['night-owl']],
    ['a door-scoped rule, any time (00:00–00:00 is all day)', [p(1, '09:30', 'back-gate'), p(3, '15:00', 'back-gate'), p(2, '10:00')], ['uses-the-back-gate']],
    ['a frequent passer', [...Array(6).keys()].flatMap((d) => [p(d + 1, '08:00'), p(d + 1, '11:00'), p(d + 1, '15:00')]), ['frequent-passer']],
    ['three passes on too few days is not frequent', [...Array(3).keys()].flatMap((d) => [p(d, '08:00'), p(d, '11:00'), p(d, '15:00')]), []],
    ['passages older than 28 days are ignored', weekdays.slice(0, 10).map((d) => ({ ...p(d, '07:40'), atMs: p(d, '07:40').atMs - 30 * DAY })), []],
    ['passages from the future (a clock jump) are ignored', [...Array(12).keys()].map((d) => ({ ...p(d, '18:30'), atMs: NOW + (d + 1) * DAY })), []],
  ] as const)('%s', (_, passages, expected) => {
    expect(evaluateSegments(passages as readonly Passage[], rules, NOW, TZ)).toEqual(expected);
  });

  it('several segments at once, sorted, names only', () => {
    const busy = [...Array(12).keys()].flatMap((d) => [p(d + 1, '08:00'), p(d + 1, '11:30'), p(d + 1, '18:00')]);
    const out = evaluateSegments(busy, rules, NOW, TZ);
    expect(out).toEqual(['daytime-at-home', 'evening-returner', 'frequent-passer', 'morning-school-run']);
  });

  it('uses the site-local day: the same instants fall on other days in another zone', () => {
    // 23:30 in Shanghai is 16:30 in Berlin (winter): an evening in Berlin, a night in Shanghai.
    const late = [...Array(12).keys()].map((d) => p(d + 1, '23:30'));
    expect(evaluateSegments(late, rules, NOW, TZ)).toEqual(['night-owl']);
    expect(evaluateSegments(late, rules, NOW, 'Europe/Berlin')).toEqual(['evening-returner']);
  });

  it('is bounded: a flood of passages is cut to the most recent 10,000', () => {
    const flood = Array.from({ length: 50_000 }, (_, i) => ({ atMs: NOW - 27 * DAY + i * 40_000, door: 'east-gate' }));
    expect(evaluateSegments(flood, rules, NOW, TZ)).toContain('frequent-passer');
    // The oldest 40,000 cover the school-run mornings of the first 18 days; the kept 10,000 the last 4.6 days.
    const recentDays = new Set(flood.slice(-10_000).map((x) => Math.floor((x.atMs + 8 * 3600_000) / DAY))).size;
    expect(recentDays).toBeLessThan(8);
    expect(evaluateSegments(flood, rules, NOW, TZ)).not.toContain('morning-school-run');
  });

  it('without rules, nothing', () => {
    expect(evaluateSegments([p(0, '08:00')], [], NOW, TZ)).toEqual([]);
  });
});
