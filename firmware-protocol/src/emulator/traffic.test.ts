import { describe, expect, it } from 'vitest';
import { prng, ratePerHour, Traffic } from './traffic.js';

describe('traffic', () => {
  it('prng is deterministic per seed', () => {
    const a = prng(7);
    const b = prng(7);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    expect(prng(8)()).not.toBe(prng(7)());
  });

  it('peaks in the morning and evening', () => {
    expect(ratePerHour(7 * 60 + 30)).toBeGreaterThan(ratePerHour(11 * 60) * 3);
    expect(ratePerHour(18 * 60)).toBeGreaterThan(ratePerHour(14 * 60) * 3);
    expect(ratePerHour(16 * 60 + 45)).toBeGreaterThan(ratePerHour(16 * 60 + 10));
    expect(ratePerHour(3 * 60)).toBeLessThan(3);
  });

  it('a simulated day has more unlocks 07–09 and 16:30–21 than the rest, with a method mix and doors', () => {
    const t = new Traffic({ doors: 3, residents: 200, seed: 42 });
    const day = Date.UTC(2026, 0, 5);
    let at = day;
    const hours = new Array(24).fill(0);
    const methods = new Map<string, number>();
    const doors = new Set<number>();
    while (at < day + 86_400_000) {
      for (const e of t.passage(at)) {
        if (e.kind === 'unlock') {
          hours[new Date(e.at).getUTCHours()]++;
          methods.set(e.method, (methods.get(e.method) ?? 0) + 1);
          doors.add(e.door);
        }
      }
      at += t.nextGapMs(at);
    }
    const peak = hours[7] + hours[8] + hours[17] + hours[18] + hours[19];
    const quiet = hours[10] + hours[11] + hours[13] + hours[14] + hours[15];
    expect(peak).toBeGreaterThan(quiet * 2.5);
    expect(methods.get('card')).toBeGreaterThan(methods.get('qr') ?? 0);
    expect(methods.has('face')).toBe(true);
    expect(doors.size).toBe(3);
  });

  it('residents come back with the same credential', () => {
    const t = new Traffic({ doors: 1, residents: 3, seed: 1 });
    const seen = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      for (const e of t.passage(i * 1000)) {
        if (e.kind === 'unlock' && e.credential.length) {
          const k = Buffer.from(e.credential).toString('hex');
          seen.set(k, (seen.get(k) ?? 0) + 1);
        }
      }
    }
    expect(seen.size).toBeLessThanOrEqual(3);
    expect(Math.max(...seen.values())).toBeGreaterThan(20);
  });
});
