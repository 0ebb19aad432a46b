// Per-resident frequency counters and feedback, read by targeting and bumped with each play.
// Keys are pseudonyms only (DESIGN.md rule 5). Days are the site's local calendar day,
// 'YYYY-MM-DD'. A resident's plays per day over all campaigns (the global cap) are the sum of
// the per-campaign rows, so the two can never disagree.
import { type Db, withSynchronous } from './database.js';
import { guard } from './errors.js';
import { type CounterDelta, CounterDeltaSchema, check, DaySchema, NameSchema, PseudonymSchema } from './records.js';

export interface PlayCounts {
  plays: number;
  completions: number;
}

export interface ResidentCounts {
  /** campaign → day → counts */
  byCampaign: Map<string, Map<string, PlayCounts>>;
  /** day → plays over all campaigns */
  playsByDay: Map<string, number>;
  /** Campaigns this resident gave negative feedback on. */
  negative: Set<string>;
}

export class Counters {
  readonly #bump;
  readonly #read;
  readonly #feedback;
  readonly #negative;
  readonly #prune;

  constructor(
    readonly db: Db,
    readonly dir: string,
  ) {
    this.#bump = db.prepare(`INSERT INTO resident_counters (pseudonym, campaign, day, plays, completions) VALUES (?, ?, ?, 1, ?)
      ON CONFLICT (pseudonym, campaign, day) DO UPDATE SET plays = plays + 1, completions = completions + excluded.completions`);
    this.#read = db.prepare('SELECT campaign, day, plays, completions FROM resident_counters WHERE pseudonym = ? AND day >= ?');
    this.#feedback = db.prepare(`INSERT INTO resident_feedback (pseudonym, campaign, negative, at_ms) VALUES (?, ?, ?, ?)
      ON CONFLICT (pseudonym, campaign) DO UPDATE SET negative = excluded.negative, at_ms = excluded.at_ms`);
    this.#negative = db.prepare('SELECT campaign FROM resident_feedback WHERE pseudonym = ? AND negative = 1').pluck();
    this.#prune = db.prepare('DELETE FROM resident_counters WHERE day < ?');
  }

  /**
   * One play per delta (+1 completion when completed). Inside an enclosing transaction (Store.recordPlay)
   * it commits with it; alone it commits with synchronous=NORMAL (rebuildable, see database.ts).
   */
  increment(deltas: readonly CounterDelta[]): void {
    const ds = deltas.map((d, i) => check(CounterDeltaSchema, d, `counter delta ${i}`));
    if (ds.length === 0) return;
    guard(
      'increment counters',
      () =>
        withSynchronous(this.db, 'NORMAL', () => {
          for (const d of ds) this.#bump.run(d.pseudonym, d.campaign, d.day, d.completed ? 1 : 0);
        }),
      this.dir,
    );
  }

  /** A resident's counts from `sinceDay` on (e.g. the last 7 days for weekly caps). */
  read(pseudonym: string, sinceDay: string): ResidentCounts {
    check(PseudonymSchema, pseudonym, 'pseudonym');
    check(DaySchema, sinceDay, 'since day');
    const rows = guard('read counters', () => this.#read.all(pseudonym, sinceDay) as ({ campaign: string; day: string } & PlayCounts)[]);
    const byCampaign: ResidentCounts['byCampaign'] = new Map();
    const playsByDay: ResidentCounts['playsByDay'] = new Map();
    for (const r of rows) {
      const days = byCampaign.get(r.campaign) ?? new Map<string, PlayCounts>();
      byCampaign.set(r.campaign, days);
      days.set(r.day, { plays: r.plays, completions: r.completions });
      playsByDay.set(r.day, (playsByDay.get(r.day) ?? 0) + r.plays);
    }
    const negative = new Set(guard('read feedback', () => this.#negative.all(pseudonym) as string[]));
    return { byCampaign, playsByDay, negative };
  }

  /** Records (or withdraws) a resident's negative feedback on a campaign; durable (FULL). */
  feedback(pseudonym: string, campaign: string, negative: boolean, atMs: number): void {
    check(PseudonymSchema, pseudonym, 'pseudonym');
    check(NameSchema, campaign, 'campaign');
    guard('record feedback', () => this.#feedback.run(pseudonym, campaign, negative ? 1 : 0, atMs), this.dir);
  }

  /** Bounded (DESIGN.md rule 3): counters older than the longest cap window are useless. */
  prune(beforeDay: string): number {
    check(DaySchema, beforeDay, 'before day');
    return guard('prune counters', () => withSynchronous(this.db, 'NORMAL', () => this.#prune.run(beforeDay).changes), this.dir);
  }
}
