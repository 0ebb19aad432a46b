// Per-resident frequency counters and feedback, read by targeting and bumped with each play.
// Keys are pseudonyms only. Days are the site's local calendar day, 'YYYY-MM-DD'.
import type { Db } from './database.js';

export interface CounterDelta {
  pseudonym: string;
  campaign: string;
  day: string;
  completed: boolean;
}

export interface ResidentCounts {
  /** campaign → day → { plays, completions } */
  byCampaign: Map<string, Map<string, { plays: number; completions: number }>>;
  negative: Set<string>;
}

export class Counters {
  readonly #bump;
  readonly #read;
  readonly #feedback;
  readonly #negative;
  readonly #prune;

  constructor(readonly db: Db) {
    this.#bump = db.prepare(`INSERT INTO resident_counters (pseudonym, campaign, day, plays, completions) VALUES (?, ?, ?, 1, ?)
      ON CONFLICT (pseudonym, campaign, day) DO UPDATE SET plays = plays + 1, completions = completions + excluded.completions`);
    this.#read = db.prepare('SELECT campaign, day, plays, completions FROM resident_counters WHERE pseudonym = ? AND day >= ?');
    this.#feedback = db.prepare(`INSERT INTO resident_feedback (pseudonym, campaign, negative, at_ms) VALUES (?, ?, ?, ?)
      ON CONFLICT (pseudonym, campaign) DO UPDATE SET negative = excluded.negative, at_ms = excluded.at_ms`);
    this.#negative = db.prepare('SELECT campaign FROM resident_feedback WHERE pseudonym = ? AND negative = 1');
    this.#prune = db.prepare('DELETE FROM resident_counters WHERE day < ?');
  }

  /** Call inside the impression's transaction. */
  bump(d: CounterDelta): void {
    this.#bump.run(d.pseudonym, d.campaign, d.day, d.completed ? 1 : 0);
  }

  /** A resident's counts from `sinceDay` on (e.g. the last 7 days for weekly caps). */
  read(pseudonym: string, sinceDay: string): ResidentCounts {
    const byCampaign: ResidentCounts['byCampaign'] = new Map();
    for (const r of this.#read.all(pseudonym, sinceDay) as { campaign: string; day: string; plays: number; completions: number }[]) {
      const days = byCampaign.get(r.campaign) ?? new Map<string, { plays: number; completions: number }>();
      byCampaign.set(r.campaign, days);
      days.set(r.day, { plays: r.plays, completions: r.completions });
    }
    const negative = new Set((this.#negative.all(pseudonym) as { campaign: string }[]).map((r) => r.campaign));
    return { byCampaign, negative };
  }

  feedback(pseudonym: string, campaign: string, negative: boolean, at = Date.now()): void {
    this.#feedback.run(pseudonym, campaign, negative ? 1 : 0, at);
  }

  /** Bounded: counters older than the longest cap window are useless. */
  prune(beforeDay: string): number {
    return this.#prune.run(beforeDay).changes;
  }
}
