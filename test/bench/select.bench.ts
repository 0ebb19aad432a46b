// Issue 4: select() with 500 campaigns and 10,000 residents' counters (one resident's history
// per call, as the agent reads it): p50/p99 per decision.
import { compile, type PacingState, recordPacing, select } from '../../agent/src/targeting/select.js';
import { campaign, campaignSet, SimHistory } from '../../agent/src/targeting/testing.js';
import { type BenchResult, percentile, round } from './result.js';

export async function run(): Promise<BenchResult[]> {
  let r = 7;
  const rand = () => {
          r = (Math.imul(r, 1103515245) + 12345) >>> 0;
          return r / 2 ** 32;
        };
  const tiers = ['paid', 'property', 'house'] as const;
  const campaigns = Array.from({ length: 500 }, (_, i) =>
    campaign({
      id: `c${i}`,
      tier: tiers[i % 3],
      share: 0.05 + rand() * 0.9,
      dayparts: i % 4 === 0 ? [{ start: '07:00', end: '09:00' }, { start: '16:30', end: '21:00' }] : undefined,
      doors: i % 5 === 0 ? ['west-gate'] : undefined,
      segments: i % 7 === 0 ? ['morning-school-run'] : undefined,
      caps: { perDay: 2, perWeek: 6 },
      suppression: { afterCompletions: 5 },
      creatives: [0, 1, 2].map((k) => ({ id: `c${i}-${k}`, sha256: 'a'.repeat(64), durationMs: 4000 + k * 4000, firstSecondsMs: 2000 })),
    }),
  );
  const set = compile(campaignSet(campaigns, { quietHours: [{ start: '22:00', end: '07:00' }] }));
  // 10,000 residents, each with up to 28 days of plays on a handful of campaigns.
  const residents = Array.from({ length: 10_000 }, () => {
    const h = new SimHistory();
    for (let k = 0; k < 20; k++) h.play(`c${Math.floor(rand() * 500)}`, `2026-11-${String(1 + Math.floor(rand() * 23)).padStart(2, '0')}`, rand() < 0.6);
    return h;
  });
  let pacing: PacingState = { day: '', byTier: {}, byCampaign: {} };
  const t0 = Date.parse('2026-11-23T06:00:00+08:00');
  const times: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const h = residents[Math.floor(rand() * residents.length)]!;
    const ctx = { nowMs: t0 + i * 2000, timeZone: 'Asia/Shanghai', door: rand() < 0.5 ? 'east-gate' : 'west-gate', remainingDwellMs: 3000 + rand() * 12_000, pseudonym: 'k1.AAAAAAAAAAAAAAAAAAAAAA', consent: rand() < 0.7, segments: rand() < 0.3 ? ['morning-school-run'] : [] };
    const s = process.hrtime.bigint();
    const d = select(ctx, set, h, pacing);
    const e = process.hrtime.bigint();
    if (i >= 2000) times.push(Number(e - s) / 1000);
    if (d.kind === 'play') pacing = recordPacing(pacing, d);
  }
  return [
    { name: 'select() p50, 500 campaigns, 10,000 residents', value: round(percentile(times, 50), 1), unit: 'µs' },
    { name: 'select() p99', value: round(percentile(times, 99), 1), unit: 'µs', note: 'aim ≤ 200 µs; 18,000 decisions after 2,000 warm-up' },
  ];
}
