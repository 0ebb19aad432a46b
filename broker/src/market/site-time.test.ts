import { describe, expect, it } from 'vitest';
import { learnProfile } from './profile.js';
import { datesBetween, localHourOf, localHourOfUtcHour, startOfLocalDate, utcHoursOf, utcSpanOf, weekdayOf } from './site-time.js';

describe('site time', () => {
  it('local date and hour of a UTC instant, east and west of Greenwich', () => {
    expect(localHourOf(Date.parse('2026-11-30T23:30:00Z'), 'Asia/Shanghai')).toEqual({ date: '2026-12-01', hour: 7 });
    expect(localHourOf(Date.parse('2026-12-01T03:00:00Z'), 'America/New_York')).toEqual({ date: '2026-11-30', hour: 22 });
    expect(localHourOfUtcHour('2026-11-30T23', 'Asia/Shanghai')).toEqual({ date: '2026-12-01', hour: 7 });
  });

  it('start of a local date, across a DST change', () => {
    expect(new Date(startOfLocalDate('2026-12-01', 'Asia/Shanghai')).toISOString()).toBe('2026-11-30T16:00:00.000Z');
    // New York moves to summer time on 8 March 2026: midnight is still EST (-5).
    expect(new Date(startOfLocalDate('2026-03-08', 'America/New_York')).toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(new Date(startOfLocalDate('2026-03-09', 'America/New_York')).toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(new Date(startOfLocalDate('2026-12-01', 'Asia/Kolkata')).toISOString()).toBe('2026-11-30T18:30:00.000Z');
  });

  it('start of a local date agrees with a minute-by-minute Intl search, midnight skipped by DST included', () => {
    const intlDate = (ms: number, tz: string) => new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
    const brute = (date: string, tz: string) => {
      let t = Date.parse(`${date}T00:00:00.000Z`) - 15 * 3_600_000;
      while (intlDate(t, tz) < date) t += 60_000;
      return t;
    };
    // Santiago skips 00:00–01:00 on the first Sunday of September; Beirut and Havana change at midnight too.
    const cases: [string, string][] = [
      ['2026-09-06', 'America/Santiago'],
      ['2026-04-05', 'America/Santiago'],
      ['2026-03-29', 'Asia/Beirut'],
      ['2026-03-08', 'America/Havana'],
      ['2026-03-29', 'Europe/London'],
      ['2026-10-25', 'Europe/London'],
      ['2026-12-01', 'Pacific/Chatham'],
      ['2026-12-01', 'Pacific/Kiritimati'],
    ];
    for (const [date, tz] of cases) expect([date, tz, new Date(startOfLocalDate(date, tz)).toISOString()]).toEqual([date, tz, new Date(brute(date, tz)).toISOString()]);
  });

  it('local hours of a daypart in UTC, and the UTC span of local dates across zones', () => {
    const at = Date.parse('2026-12-01T00:00:00Z');
    expect(utcHoursOf([6, 7, 8, 9], 'Asia/Shanghai', at)).toEqual([22, 23, 0, 1]);
    expect(utcHoursOf([17, 18], 'America/New_York', at)).toEqual([22, 23]);
    // +05:30: the half hour rounds up, as the old offset arithmetic did.
    expect(utcHoursOf([6], 'Asia/Kolkata', at)).toEqual([1]);
    expect(utcSpanOf('2026-12-01', '2026-12-02', ['Asia/Shanghai', 'America/New_York'])).toEqual({ fromIso: '2026-11-30T16:00:00.000Z', toIso: '2026-12-03T05:00:00.000Z' });
  });

  it('dates and weekdays', () => {
    expect(datesBetween('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    expect(() => datesBetween('2026-01-01', '2027-06-01')).toThrow(RangeError);
    expect(weekdayOf('2026-12-06')).toBe(0);
  });
});

describe('learnProfile', () => {
  const hour = (iso: string, unlocks: number) => ({ hourStart: iso, unlocks });
  it('needs a week of days, then averages per weekday and local hour', () => {
    const six = Array.from({ length: 6 }, (_, d) => hour(`2026-11-${String(16 + d).padStart(2, '0')}T23:00:00.000Z`, 10));
    expect(learnProfile(six, 'Asia/Shanghai')).toBeNull();
    // 14 days at 23:00 UTC = 07:00 local; Mondays (local) had 30, other days 10.
    const fortnight = Array.from({ length: 14 }, (_, d) => {
      const iso = new Date(Date.parse('2026-11-15T23:00:00.000Z') + d * 86_400_000).toISOString();
      return hour(iso, weekdayOf(localHourOf(Date.parse(iso), 'Asia/Shanghai').date) === 1 ? 30 : 10);
    });
    const p = learnProfile(fortnight, 'Asia/Shanghai')!;
    expect(p).toMatchObject({ source: 'learned', days: 14 });
    expect(p.hours[1]![7]).toBe(30);
    expect(p.hours[3]![7]).toBe(10);
    expect(p.hours[3]![8]).toBe(0);
  });
});
