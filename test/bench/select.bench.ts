// Issue 4: select() with 500 campaigns and 10,000 residents' counters (the caller reads one
// resident's history per unlock, so each call gets a random resident's): p50/p99 per decision.
// Two paces: a busy gate (an unlock every 2 s) and a quiet one (every 97 s, so every call is
// in a new minute and the days roll over: pacing restarts, the zone's offset is looked up
// again each day).
import { compile, type PacingState, recordPacing, type SelectContext, select } from '../../agent/src/targeting/select.js';
import { campaign, campaignSet, SimHistory } from '../../agent/src/targeting/testing.js';
import { type BenchResult, percentile, round } from './result.js';

function lcg(seed: number): () => number {
  let r = seed;
  return () => {
    r = (Math.imul(r, 1103515245) + 12345) >>> 0;
    return r / 2 ** 32;
  };
}

const tiers = ['paid', 'property', 'house'] as const;
const SEGMENTS = ['morning-school-run', 'evening-returner', 'daytime-at-home', 'frequent-passer'];

function fixture(rand: () => number) {
  const campaigns = Array.from({ length: 500 }, (_, i) =>
    campaign({
      id: `c${i}`,
      tier: tiers[i % 3],
      share: 0.05 + rand() * 0.9,
      days: i % 6 === 0 ? [1, 2, 3, 4, 5] : undefined,
      dayparts: i % 4 === 0 ? [{ start: '07:00', end: '09:00' }, { start: '16:30', end: '21:00' }] : undefined,
      scope: i % 5 === 0 ? { doors: ['west-gate'] } : i % 11 === 0 ? { sites: ['riverside', 'hilltop'] } : {},
      segments: i % 7 === 0 ? [SEGMENTS[i % 4]!] : undefined,
      caps: { perDay: 2, perWeek: 6 },
      suppression: { afterCompletions: 5 },
      creatives: [0, 1, 2].map((k) => ({ id: `c${i}-${k}`, sha256: 'a'.repeat(64), durationMs: 4000 + k * 4000, firstSecondsMs: 2000 })),
    }),
  );
  const set = compile(campaignSet(campaigns, { quietHours: [{ start: '22:00', end: '07:00' }] }));
  // 10,000 residents, each with 20 plays over the last 23 days on random campaigns, some feedback.
  const residents = Array.from({ length: 10_000 }, () => {
    const h = new SimHistory();
    for (let k = 0; k < 20; k++) h.play(`c${Math.floor(rand() * 500)}`, `2026-11-${String(1 + Math.floor(rand() * 23)).padStart(2, '0')}`, rand() < 0.6);
    if (rand() < 0.1) h.negative.add(`c${Math.floor(rand() * 500)}`);
    return h;
  });
  return { set, residents };
}

function measure(stepMs: number, calls: number, warmup: number): { p50: number; p99: number; plays: number } {
  const rand = lcg(7);
  const { set, residents } = fixture(rand);
  let pacing: PacingState = { day: '', byTier: {}, byCampaign: {} };
  const t0 = Date.parse('2026-11-23T06:00:00+08:00');
  const times: number[] = [];
  let plays = 0;
  for (let i = 0; i < calls + warmup; i++) {
    const h = residents[Math.floor(rand() * residents.length)]!;
    const ctx: SelectContext = {
      nowMs: t0 + i * stepMs,
      timeZone: 'Asia/Shanghai',
      site: 'riverside',
      door: rand() < 0.5 ? 'east-gate' : 'west-gate',
      remainingDwellMs: 3000 + rand() * 12_000,
      pseudonym: 'k1.AAAAAAAAAAAAAAAAAAAAAA',
      consent: rand() < 0.7,
      segments: SEGMENTS.filter(() => rand() < 0.3),
      lastCreativeAtDoor: null,
    };
    const s = process.hrtime.bigint();
    const d = select(ctx, set, h, pacing);
    const e = process.hrtime.bigint();
    if (i >= warmup) times.push(Number(e - s) / 1000);
    if (d.kind === 'play') {
      plays++;
      pacing = recordPacing(pacing, d);
      // The store counts plays against consenting residents only.
      if (!d.anonymous) h.play(d.campaign, d.day, rand() < 0.6);
    }
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99), plays };
}

export async function run(): Promise<BenchResult[]> {
  const busy = measure(2000, 18_000, 2000);
  const quiet = measure(97_000, 10_000, 2000);
  return [
    { name: 'select() p50, 500 campaigns, 10,000 residents, busy gate', value: round(busy.p50, 1), unit: 'µs', note: `18,000 decisions after 2,000 warm-up, ${busy.plays} plays` },
    { name: 'select() p99, busy gate', value: round(busy.p99, 1), unit: 'µs', note: 'aim ≤ 200 µs' },
    { name: 'select() p50, quiet gate (an unlock every 97 s)', value: round(quiet.p50, 1), unit: 'µs', note: `10,000 decisions after 2,000 warm-up, ${quiet.plays} plays` },
    { name: 'select() p99, quiet gate', value: round(quiet.p99, 1), unit: 'µs', note: 'aim ≤ 200 µs' },
  ];
}
