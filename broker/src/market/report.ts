// A campaign's report from the store's fact rows: plays, completions, distinct residents and
// frequency, by day, daypart, site and door, with small cells suppressed. Pure. API.md "report".

import type { CampaignFact } from '../store/impression-store.js';
import { DAYPARTS, type DaypartId, daypartOfHour } from './dayparts.js';
import { localHourOfUtcHour } from './site-time.js';

export interface Cell {
  key: string;
  plays: number | null;
  completed: number | null;
  completionRate: number | null;
  residents: number | null;
  suppressed: boolean;
}

export interface FrequencyBucket {
  bucket: '1' | '2' | '3+';
  residents: number | null;
  suppressed: boolean;
}

export interface FunnelStage {
  stage: 'scheduled' | 'played' | 'completed';
  count: number | null;
}

export interface CampaignReport {
  campaignId: string;
  from: string;
  to: string;
  minCohort: number;
  totals: Cell & { anonymousPlays: number | null; failed: number | null };
  funnel: FunnelStage[];
  frequency: FrequencyBucket[];
  byDay: Cell[];
  byDaypart: Cell[];
  bySite: Cell[];
  byDoor: Cell[];
}

export interface ReportInput {
  campaignId: string;
  /** Inclusive site-local dates. */
  from: string;
  to: string;
  minCohort: number;
  facts: readonly CampaignFact[];
  timeZoneOf(site: string): string;
  /** Plays the booking is expected to have delivered so far (an estimate, see inventory.ts). */
  scheduled: number;
  /** Every date the report covers, so quiet days show as 0 rather than missing. */
  dates: readonly string[];
}

class Acc {
  plays = 0;
  completed = 0;
  failed = 0;
  anonymous = 0;
  /** Distinct pseudonyms with plays here, counted by buildReport's second pass. */
  residents = 0;
  /** The resident the second pass last counted here (it visits facts resident by resident). */
  last = -1;

  add(f: CampaignFact): void {
    this.plays += f.plays;
    this.completed += f.completed;
    this.failed += f.failed;
    if (f.pseudonym === null) this.anonymous += f.plays;
  }

  /**
   * Suppressed when the plays may come from fewer than `k` people: every pseudonym is one,
   * and all anonymous plays together count as one at most (they may all be the same person).
   * A cell with no plays covers nobody and is shown as 0.
   */
  cell(key: string, k: number): Cell {
    const cohort = this.residents + (this.anonymous > 0 ? 1 : 0);
    if (this.plays > 0 && cohort < k) return { key, ...SUPPRESSED };
    return { key, plays: this.plays, completed: this.completed, completionRate: this.plays ? round(this.completed / this.plays) : 0, residents: this.residents, suppressed: false };
  }
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

function group(keys: readonly string[]): Map<string, Acc> {
  return new Map(keys.map((k) => [k, new Acc()]));
}

function at(m: Map<string, Acc>, key: string): Acc {
  let a = m.get(key);
  if (!a) {
    a = new Acc();
    m.set(key, a);
  }
  return a;
}

const SUPPRESSED = { plays: null, completed: null, completionRate: null, residents: null, suppressed: true } as const;

/**
 * Complementary suppression: with exactly one cell hidden, the total minus the shown cells
 * would reveal it, so the smallest shown non-zero cell is hidden too.
 */
function complement<T extends { suppressed: boolean }>(list: T[], size: (c: T) => number, hide: (c: T) => T): T[] {
  if (list.filter((c) => c.suppressed).length !== 1) return list;
  let at = -1;
  list.forEach((c, i) => {
    if (!c.suppressed && size(c) > 0 && (at < 0 || size(c) < size(list[at]!))) at = i;
  });
  return at < 0 ? list : list.map((c, i) => (i === at ? hide(c) : c));
}

const cells = (m: Map<string, Acc>, k: number) =>
  complement(
    [...m].map(([key, a]) => a.cell(key, k)),
    (c) => c.plays ?? 0,
    (c) => ({ key: c.key, ...SUPPRESSED }),
  );

export function buildReport(i: ReportInput): CampaignReport {
  const k = i.minCohort;
  const total = new Acc();
  const byDay = group(i.dates);
  const byDaypart = group(DAYPARTS.map((d) => d.id));
  const bySite = new Map<string, Acc>();
  const byDoor = new Map<string, Acc>();
  // Pass 1: sums per cell, and for each fact with a resident's plays, the resident (as a
  // number) and the four cells it touches. Facts arrive grouped by hour, site and door, so
  // the last lookups are kept.
  const ids = new Map<string, number>();
  const playsOf: number[] = [];
  const rid: number[] = [];
  const touched: Acc[] = [];
  let hour = '';
  let site = '';
  let device = '';
  let door = -1;
  let inRange = false;
  let day = total;
  let part = total;
  let siteAcc: Acc | null = null;
  let doorAcc = total;
  for (const f of i.facts) {
    if (f.hour !== hour || f.site !== site) {
      if (f.site !== site) {
        siteAcc = null;
        door = -1;
      }
      hour = f.hour;
      site = f.site;
      const local = localHourOfUtcHour(hour, i.timeZoneOf(site));
      // The store is asked for a UTC range a little wider than the local dates; trim here.
      inRange = local.date >= i.from && local.date <= i.to;
      if (inRange) {
        day = at(byDay, local.date);
        part = at(byDaypart, daypartOfHour(local.hour) satisfies DaypartId);
      }
    }
    if (!inRange) continue;
    if (f.door !== door || f.device !== device) {
      device = f.device;
      door = f.door;
      doorAcc = at(byDoor, `${site}/${device}#${door}`);
    }
    // A cell is listed once any fact of it is in range, even one of failed plays only.
    siteAcc ??= at(bySite, site);
    total.add(f);
    day.add(f);
    part.add(f);
    siteAcc.add(f);
    doorAcc.add(f);
    if (f.pseudonym === null || f.plays <= 0) continue;
    let r = ids.get(f.pseudonym);
    if (r === undefined) {
      r = ids.size;
      ids.set(f.pseudonym, r);
      playsOf.push(0);
    }
    playsOf[r]! += f.plays;
    rid.push(r);
    touched.push(day, part, siteAcc, doorAcc);
  }
  // Pass 2: facts ordered by resident (a counting sort), so a cell counts a resident when it
  // first meets them.
  total.residents = ids.size;
  const start = new Int32Array(ids.size + 1);
  for (const r of rid) start[r + 1]!++;
  for (let r = 0; r < ids.size; r++) start[r + 1]! += start[r]!;
  const next = start.slice(0, ids.size);
  const order = new Int32Array(rid.length);
  rid.forEach((r, j) => {
    order[next[r]!++] = j;
  });
  for (let r = 0; r < ids.size; r++) {
    for (let j = start[r]!; j < start[r + 1]!; j++) {
      const base = order[j]! * 4;
      for (let d = base; d < base + 4; d++) {
        const a = touched[d]!;
        if (a.last !== r) {
          a.last = r;
          a.residents++;
        }
      }
    }
  }
  const counts = { '1': 0, '2': 0, '3+': 0 };
  for (const n of playsOf) counts[n >= 3 ? '3+' : n === 2 ? '2' : '1']++;
  const frequency = complement(
    (Object.keys(counts) as (keyof typeof counts)[]).map((bucket): FrequencyBucket => {
      const n = counts[bucket];
      return n > 0 && n < k ? { bucket, residents: null, suppressed: true } : { bucket, residents: n, suppressed: false };
    }),
    (b) => b.residents ?? 0,
    (b) => ({ bucket: b.bucket, residents: null, suppressed: true }),
  );
  const t = total.cell('total', k);
  const sorted = (m: Map<string, Acc>) => cells(new Map([...m].sort(([a], [b]) => a.localeCompare(b))), k);
  return {
    campaignId: i.campaignId,
    from: i.from,
    to: i.to,
    minCohort: k,
    totals: { ...t, anonymousPlays: t.suppressed ? null : total.anonymous, failed: t.suppressed ? null : total.failed },
    funnel: [
      { stage: 'scheduled', count: Math.round(i.scheduled) },
      { stage: 'played', count: t.plays },
      { stage: 'completed', count: t.completed },
    ],
    frequency,
    byDay: sorted(byDay),
    byDaypart: cells(byDaypart, k),
    bySite: sorted(bySite),
    byDoor: sorted(byDoor),
  };
}
