// Builders for targeting tests and the select() benchmark.
import { type Campaign, CampaignSchema, type CampaignSet, parseCampaignSet } from './campaign.js';
import type { PlayCounts, ResidentHistory, SelectContext } from './select.js';

export const TZ = 'Asia/Shanghai';
/** Monday 2026-11-23 07:30 in Shanghai. */
export const MON_0730 = Date.parse('2026-11-23T07:30:00+08:00');
export const at = (local: string): number => Date.parse(`${local}+08:00`);

/** A consenting resident at the east gate, Monday 07:30, 10 s of dwell left. */
export const context = (over: Partial<SelectContext> = {}): SelectContext => ({
  nowMs: MON_0730,
  timeZone: TZ,
  site: 'riverside',
  door: 'east-gate',
  remainingDwellMs: 10_000,
  pseudonym: 'k1.AAAAAAAAAAAAAAAAAAAAAA',
  consent: true,
  segments: [],
  ...over,
});

let n = 0;
export function campaign(over: Record<string, unknown> = {}): Campaign {
  n++;
  const id = (over.id as string | undefined) ?? `c${n}`;
  return CampaignSchema.parse({
    id,
    tier: 'paid',
    dates: { from: '2026-01-01', to: '2026-12-31' },
    creatives: [{ id: `${id}-a`, sha256: 'a'.repeat(64), durationMs: 8000, firstSecondsMs: 2000 }],
    ...over,
  });
}

export function campaignSet(campaigns: Campaign[], over: Record<string, unknown> = {}): CampaignSet {
  return parseCampaignSet({ campaigns, ...over });
}

export function history(byCampaign: Record<string, Record<string, Partial<PlayCounts>>> = {}, negative: string[] = []): ResidentHistory {
  const m = new Map<string, Map<string, PlayCounts>>();
  const perDay = new Map<string, number>();
  for (const [c, days] of Object.entries(byCampaign)) {
    const dm = new Map<string, PlayCounts>();
    for (const [d, x] of Object.entries(days)) {
      const v = { plays: x.plays ?? 0, completions: x.completions ?? 0 };
      dm.set(d, v);
      perDay.set(d, (perDay.get(d) ?? 0) + v.plays);
    }
    m.set(c, dm);
  }
  return { byCampaign: m, playsByDay: perDay, negative: new Set(negative) };
}

/** A mutable history for simulations: play() records what select() chose. */
export class SimHistory implements ResidentHistory {
  readonly byCampaign = new Map<string, Map<string, PlayCounts>>();
  readonly playsByDay = new Map<string, number>();
  readonly negative = new Set<string>();
  play(campaign: string, day: string, completed: boolean): void {
    const days = this.byCampaign.get(campaign) ?? new Map<string, PlayCounts>();
    this.byCampaign.set(campaign, days);
    const v = days.get(day) ?? { plays: 0, completions: 0 };
    days.set(day, { plays: v.plays + 1, completions: v.completions + (completed ? 1 : 0) });
    this.playsByDay.set(day, (this.playsByDay.get(day) ?? 0) + 1);
  }
}
