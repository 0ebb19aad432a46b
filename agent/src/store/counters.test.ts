import { describe, expect, it } from 'vitest';
import { openStore, pseudonym } from './testing.js';

describe('resident counters', () => {
  const a = pseudonym(1);
  const b = pseudonym(2);

  it('count plays and completions per pseudonym × campaign × day, and plays per day over all campaigns', () => {
    const s = openStore();
    s.counters.increment([
      { pseudonym: a, campaign: 'c1', day: '2026-01-01', completed: true },
      { pseudonym: a, campaign: 'c1', day: '2026-01-01', completed: false },
      { pseudonym: a, campaign: 'c2', day: '2026-01-01', completed: true },
      { pseudonym: a, campaign: 'c1', day: '2026-01-02', completed: true },
      { pseudonym: b, campaign: 'c1', day: '2026-01-02', completed: true },
    ]);
    const r = s.counters.read(a, '2026-01-01');
    expect(r.byCampaign).toEqual(
      new Map([
        [
          'c1',
          new Map([
            ['2026-01-01', { plays: 2, completions: 1 }],
            ['2026-01-02', { plays: 1, completions: 1 }],
          ]),
        ],
        ['c2', new Map([['2026-01-01', { plays: 1, completions: 1 }]])],
      ]),
    );
    expect(r.playsByDay).toEqual(
      new Map([
        ['2026-01-01', 3],
        ['2026-01-02', 1],
      ]),
    );
    // The window: from a day on.
    expect(s.counters.read(a, '2026-01-02').playsByDay).toEqual(new Map([['2026-01-02', 1]]));
  });

  it('keep negative feedback per campaign, and let a resident withdraw it', () => {
    const s = openStore();
    s.counters.feedback(a, 'c1', true, 1);
    s.counters.feedback(a, 'c2', true, 2);
    s.counters.feedback(a, 'c2', false, 3);
    expect(s.counters.read(a, '2026-01-01').negative).toEqual(new Set(['c1']));
    expect(s.counters.read(b, '2026-01-01').negative).toEqual(new Set());
  });

  it('prune days before a cut-off (bounded)', () => {
    const s = openStore();
    s.counters.increment([
      { pseudonym: a, campaign: 'c1', day: '2025-12-01', completed: true },
      { pseudonym: a, campaign: 'c1', day: '2026-01-01', completed: true },
    ]);
    expect(s.counters.prune('2025-12-25')).toBe(1);
    expect([...s.counters.read(a, '2000-01-01').playsByDay.keys()]).toEqual(['2026-01-01']);
  });

  it('commit standalone increments with synchronous=NORMAL and go back to FULL', () => {
    const s = openStore();
    s.counters.increment([{ pseudonym: a, campaign: 'c1', day: '2026-01-01', completed: true }]);
    expect(s.db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('reject a raw identifier as key, changing nothing', () => {
    const s = openStore();
    expect(() => s.counters.increment([{ pseudonym: a, campaign: 'c1', day: '2026-01-01', completed: true }, { pseudonym: '4111111111111111', campaign: 'c1', day: '2026-01-01', completed: true }])).toThrow(
      /counter delta 1: pseudonym/,
    );
    expect(s.counters.read(a, '2026-01-01').playsByDay.size).toBe(0);
    expect(() => s.counters.read('4111111111111111', '2026-01-01')).toThrow(/pseudonym/);
  });
});

describe('passage history', () => {
  it('keeps pseudonymous passages (NORMAL commits), ignores a repeat, prunes by time, rejects raw ids', () => {
    const s = openStore();
    s.recordPassage(pseudonym(1), 1000, 'east-gate');
    s.recordPassage(pseudonym(1), 1000, 'east-gate');
    s.recordPassage(pseudonym(1), 5000, 'west-gate');
    expect(() => s.recordPassage('0004123456', 6000, 'east-gate')).toThrow(/pseudonym/);
    expect(s.db.prepare('SELECT count(*) FROM passages').pluck().get()).toBe(2);
    expect(s.prunePassages(2000)).toBe(1);
    expect(s.db.prepare('SELECT door FROM passages').pluck().all()).toEqual(['west-gate']);
    expect(s.db.pragma('synchronous', { simple: true })).toBe(2);
  });
});
