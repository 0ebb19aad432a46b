// Site-local time: days, weekdays and minutes from an instant and an IANA zone, across DST.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayNumber, daysBefore, intlSiteTime, inWindow, siteTime, utcOffsetMinutes } from './site-time.js';

describe('siteTime', () => {
  it.each([
    ['Shanghai morning', '2026-11-23T07:30:00+08:00', 'Asia/Shanghai', '2026-11-23', 1, 7 * 60 + 30],
    ['Shanghai just before midnight', '2026-11-23T23:59:00+08:00', 'Asia/Shanghai', '2026-11-23', 1, 23 * 60 + 59],
    ['Shanghai midnight is the next day', '2026-11-24T00:00:00+08:00', 'Asia/Shanghai', '2026-11-24', 2, 0],
    ['the same instant is still Monday in Berlin', '2026-11-24T00:00:00+08:00', 'Europe/Berlin', '2026-11-23', 1, 17 * 60],
    ['New York, before the spring-forward gap', '2026-03-08T06:59:00Z', 'America/New_York', '2026-03-08', 0, 60 + 59],
    ['New York, after it (02:00 does not exist)', '2026-03-08T07:00:00Z', 'America/New_York', '2026-03-08', 0, 3 * 60],
    ['New York, the first 01:30 of the fall-back night', '2026-11-01T05:30:00Z', 'America/New_York', '2026-11-01', 0, 90],
    ['New York, the second 01:30', '2026-11-01T06:30:00Z', 'America/New_York', '2026-11-01', 0, 90],
    ['Kathmandu, +05:45', '2026-11-23T18:15:00Z', 'Asia/Kathmandu', '2026-11-24', 2, 0],
    ['a leap day', '2028-02-29T12:00:00+08:00', 'Asia/Shanghai', '2028-02-29', 2, 12 * 60],
  ] as const)('%s', (_, iso, zone, day, dow, minute) => {
    const t = siteTime(Date.parse(iso), zone);
    expect(t).toEqual({ day, dayNumber: dayNumber(day), dow, minute });
  });

  it('the per-minute memo never answers for another zone', () => {
    const ms = Date.parse('2026-11-23T20:00:00Z');
    expect(siteTime(ms, 'Asia/Shanghai').day).toBe('2026-11-24');
    expect(siteTime(ms, 'America/New_York').day).toBe('2026-11-23');
    expect(siteTime(ms + 59_000, 'Asia/Shanghai').day).toBe('2026-11-24');
  });

  it('an unknown zone is an error, not a guess', () => {
    expect(() => siteTime(0, 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});

describe('calendar helpers', () => {
  it('daysBefore and dayNumber agree across months, years and leap days', () => {
    expect(daysBefore('2026-03-01', 1)).toBe('2026-02-28');
    expect(daysBefore('2028-03-01', 1)).toBe('2028-02-29');
    expect(daysBefore('2026-01-03', 6)).toBe('2025-12-28');
    expect(dayNumber('1970-01-01')).toBe(0);
    expect(dayNumber('2026-11-23') - dayNumber('2026-11-16')).toBe(7);
  });

  it.each([
    [7 * 60, { start: '07:00', end: '09:00' }, true],
    [9 * 60, { start: '07:00', end: '09:00' }, false],
    [23 * 60, { start: '22:00', end: '06:00' }, true],
    [3 * 60, { start: '22:00', end: '06:00' }, true],
    [12 * 60, { start: '22:00', end: '06:00' }, false],
    [12 * 60, { start: '00:00', end: '00:00' }, true],
  ] as const)('minute %i in %o: %s', (minute, w, inside) => {
    expect(inWindow(minute, w)).toBe(inside);
  });

  it('utcOffsetMinutes follows DST', () => {
    expect(utcOffsetMinutes(Date.parse('2026-01-15T12:00:00Z'), 'Europe/Berlin')).toBe(60);
    expect(utcOffsetMinutes(Date.parse('2026-07-15T12:00:00Z'), 'Europe/Berlin')).toBe(120);
    expect(utcOffsetMinutes(Date.parse('2026-07-15T12:00:00Z'), 'Asia/Kathmandu')).toBe(345);
    expect(utcOffsetMinutes(Date.parse('2026-07-15T12:00:00Z'), 'America/New_York')).toBe(-240);
  });
});

describe('siteTime against Intl', () => {
  it('agrees with Intl at every instant, in zones with DST, half-hour and quarter-hour offsets, in any order of calls', () => {
    const zones = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns', 'Africa/Casablanca', 'Pacific/Chatham'];
    const from = Date.parse('2025-01-01T00:00:00Z');
    const to = Date.parse('2028-01-01T00:00:00Z');
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.array(fc.integer({ min: from, max: to }), { minLength: 1, maxLength: 20 }), (zone, instants) => {
        for (const ms of instants) expect(siteTime(ms, zone)).toEqual(intlSiteTime(ms, zone));
      }),
      { numRuns: 300 },
    );
  });

  it('agrees minute by minute across transitions', () => {
    for (const [zone, iso] of [
      ['America/New_York', '2026-03-08T06:00:00Z'],
      ['America/New_York', '2026-11-01T05:00:00Z'],
      ['Australia/Lord_Howe', '2026-04-04T14:00:00Z'],
      ['Europe/Berlin', '2026-03-29T00:00:00Z'],
    ] as const) {
      const start = Date.parse(iso);
      for (let m = 0; m < 240; m += 1) expect(siteTime(start + m * 60_000, zone)).toEqual(intlSiteTime(start + m * 60_000, zone));
    }
  });
});
