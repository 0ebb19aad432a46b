// The campaign set's boundary: what the manifest may carry, and the errors (with paths) for
// what it may not.
import { describe, expect, it } from 'vitest';
import { CampaignSetError, parseCampaignSet } from './campaign.js';
import { compile } from './compiled.js';

const creative = { id: 'c-a', sha256: 'a'.repeat(64), durationMs: 8000 };
const minimal = { id: 'noodles', tier: 'paid', dates: { from: '2026-01-01', to: '2026-12-31' }, creatives: [creative] };

function issues(value: unknown): string[] {
  try {
    parseCampaignSet(value);
  } catch (err) {
    expect(err).toBeInstanceOf(CampaignSetError);
    expect((err as CampaignSetError).code).toBe('invalid-campaign-set');
    return (err as CampaignSetError).issues;
  }
  throw new Error('parsed');
}

describe('parseCampaignSet', () => {
  it('fills the defaults: 2 plays per campaign per resident per day, feedback suppresses, 8 plays a day in all', () => {
    const s = parseCampaignSet({ campaigns: [minimal] });
    expect(s.defaults).toEqual({ caps: { perDay: 2 }, suppression: { onNegativeFeedback: true } });
    expect(s.globalPerDay).toBe(8);
    expect(s.campaigns[0]).toMatchObject({ share: 1, scope: {}, caps: {}, suppression: {}, creatives: [{ ...creative, firstSecondsMs: 2000 }] });
    expect(s).toMatchObject({ segmentRules: [], quietHours: [] });
  });

  it('resolves each campaign against the set defaults, its own overrides winning', () => {
    const s = compile(
      parseCampaignSet({
        defaults: { caps: { perDay: 3, perWeek: 9 }, suppression: { afterCompletions: 4, onNegativeFeedback: false } },
        campaigns: [minimal, { ...minimal, id: 'laundry', caps: { perDay: 1 }, suppression: { onNegativeFeedback: true } }],
      }),
    );
    expect(s.campaigns.map((c) => [c.id, c.perDay, c.perWeek, c.afterCompletions, c.onNegativeFeedback])).toEqual([
      ['laundry', 1, 9, 4, true],
      ['noodles', 3, 9, 4, false],
    ]);
    const open = compile(parseCampaignSet({ campaigns: [minimal] })).campaigns[0]!;
    expect([open.perDay, open.perWeek, open.afterCompletions]).toEqual([2, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
  });

  it.each([
    ['not an object', 42, /^\(root\): /],
    ['an unknown tier', { campaigns: [{ ...minimal, tier: 'gold' }] }, /^campaigns\.0\.tier: /],
    ['no creatives', { campaigns: [{ ...minimal, creatives: [] }] }, /^campaigns\.0\.creatives: /],
    ['dates the wrong way round', { campaigns: [{ ...minimal, dates: { from: '2026-02-01', to: '2026-01-01' } }] }, /^campaigns\.0\.dates\.to: dates\.to is before dates\.from/],
    ['an impossible date', { campaigns: [{ ...minimal, dates: { from: '2026-13-01', to: '2026-12-31' } }] }, /^campaigns\.0\.dates\.from: YYYY-MM-DD/],
    ['a daypart at 24:00', { campaigns: [{ ...minimal, dayparts: [{ start: '16:30', end: '24:00' }] }] }, /^campaigns\.0\.dayparts\.0\.end: HH:MM/],
    ['a day of week 7', { campaigns: [{ ...minimal, days: [7] }] }, /^campaigns\.0\.days\.0: /],
    ['a share of 0', { campaigns: [{ ...minimal, share: 0 }] }, /^campaigns\.0\.share: /],
    ['a daily cap of 0', { campaigns: [{ ...minimal, caps: { perDay: 0 } }] }, /^campaigns\.0\.caps\.perDay: /],
    ['an unknown field (strict)', { campaigns: [{ ...minimal, doors: ['east-gate'] }] }, /^campaigns\.0: .*doors/],
    ['an unknown scope', { campaigns: [{ ...minimal, scope: { floors: [3] } }] }, /^campaigns\.0\.scope: /],
    ['a bad sha256', { campaigns: [{ ...minimal, creatives: [{ ...creative, sha256: 'A'.repeat(64) }] }] }, /^campaigns\.0\.creatives\.0\.sha256: /],
    ['a clip too short', { campaigns: [{ ...minimal, creatives: [{ ...creative, durationMs: 100 }] }] }, /^campaigns\.0\.creatives\.0\.durationMs: /],
    ['duplicate creatives', { campaigns: [{ ...minimal, creatives: [creative, creative] }] }, /^campaigns\.0\.creatives\.1\.id: duplicate creative id c-a/],
    ['duplicate campaigns', { campaigns: [minimal, minimal] }, /^campaigns\.1\.id: duplicate campaign id noodles/],
    ['a name with a space', { campaigns: [{ ...minimal, id: 'noodle shop' }] }, /^campaigns\.0\.id: name/],
    ['too many dayparts', { campaigns: [{ ...minimal, dayparts: Array.from({ length: 9 }, () => ({ start: '07:00', end: '09:00' })) }] }, /^campaigns\.0\.dayparts: /],
    ['too many campaigns', { campaigns: Array.from({ length: 1001 }, (_, i) => ({ ...minimal, id: `c${i}` })) }, /^campaigns: /],
    ['an unknown segment rule kind', { campaigns: [], segmentRules: [{ name: 'x', kind: 'astrology' }] }, /^segmentRules\.0\.kind: /],
    ['a segment rule over more than 28 days', { campaigns: [], segmentRules: [{ name: 'x', kind: 'passes-per-day', minPerDay: 2, lastDays: 90 }] }, /^segmentRules\.0\.lastDays: /],
    ['duplicate segment rules', { campaigns: [], segmentRules: [{ name: 'x', kind: 'passes-per-day', minPerDay: 2 }, { name: 'x', kind: 'passes-per-day', minPerDay: 3 }] }, /^segmentRules\.1\.name: /],
    ['quiet hours without an end', { campaigns: [], quietHours: [{ start: '22:00' }] }, /^quietHours\.0\.end: /],
    ['an unknown default', { campaigns: [], defaults: { caps: { perMonth: 3 } } }, /^defaults\.caps: /],
  ])('refuses %s, naming the path', (_, value, pattern) => {
    expect(issues(value)).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
  });

  it('names every problem, not just the first', () => {
    const found = issues({ campaigns: [{ ...minimal, tier: 'gold', creatives: [] }, { ...minimal, id: 'b', share: -1 }] });
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/^campaigns\.0\.tier/), expect.stringMatching(/^campaigns\.0\.creatives/), expect.stringMatching(/^campaigns\.1\.share/)]));
    expect(() => parseCampaignSet({ campaigns: [{ ...minimal, tier: 'gold' }] })).toThrow(/invalid campaign set: campaigns\.0\.tier/);
  });

  it('accepts what the manifest carries: a full campaign, weights as shares, rules and quiet hours', () => {
    const s = parseCampaignSet({
      campaigns: [
        {
          ...minimal,
          share: 30,
          days: [1, 2, 3, 4, 5],
          dayparts: [
            { start: '07:00', end: '09:00' },
            { start: '22:00', end: '01:00' },
          ],
          scope: { sites: ['riverside'], doors: ['east-gate', 'west-gate'] },
          segments: ['morning-school-run'],
          caps: { perDay: 1, perWeek: 3 },
          suppression: { afterCompletions: 5, onNegativeFeedback: true },
          creatives: [creative, { id: 'c-b', sha256: 'b'.repeat(64), durationMs: 15_000, firstSecondsMs: 3000 }],
        },
      ],
      segmentRules: [{ name: 'morning-school-run', kind: 'window-days', window: { start: '07:00', end: '09:00' }, minDays: 8 }],
      quietHours: [{ start: '22:00', end: '07:00', dim: true }, { start: '13:00', end: '14:00', days: [0] }],
    });
    expect(s.campaigns[0]!.scope).toEqual({ sites: ['riverside'], doors: ['east-gate', 'west-gate'] });
    expect(s.segmentRules[0]).toMatchObject({ lastDays: 28 });
    expect(s.quietHours[1]).toEqual({ start: '13:00', end: '14:00', days: [0], dim: false });
  });
});
