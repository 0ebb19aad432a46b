// A campaign's report through the API, from impressions in the broker's store: aggregates
// only, small cells suppressed, no pseudonym in any answer, every table as CSV.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleImpression } from '../contract.js';
import { localHourOf, startOfLocalDate } from '../market/site-time.js';
import { addTestCreative, type MarketFixture, startMarketFixture } from './testing.js';

let f: MarketFixture;
let campaignId: string;
const tz = 'Asia/Shanghai';
const today = localHourOf(Date.now(), tz).date;
const pseudonyms = Array.from({ length: 8 }, (_, i) => `k1.${String.fromCharCode(65 + i).repeat(22)}`);

beforeAll(async () => {
  f = await startMarketFixture();
  const clip = await addTestCreative(f.broker, f.accounts.noodles.merchantId!);
  const r = await f.noodles.post('/api/v1/campaigns', { name: 'Breakfast', sites: ['maple'], dayparts: ['morning', 'evening'], dates: { from: today, to: today }, creatives: [clip] });
  expect(r.status).toBe(201);
  campaignId = r.body.id;
  // Today 07:xx local: 8 residents, 3 of them twice (once interrupted), plus 4 anonymous plays.
  // Today 18:xx local: 2 residents only, so the evening cell is suppressed.
  const at = (h: number, m: number) => new Date(startOfLocalDate(today, tz) + h * 3_600_000 + m * 60_000).toISOString();
  const recs = [
    ...pseudonyms.map((p, i) => ({ pseudonym: p, wallTime: at(7, i), outcome: 'completed' as const })),
    ...pseudonyms.slice(0, 3).map((p, i) => ({ pseudonym: p, wallTime: at(7, 30 + i), outcome: 'interrupted' as const })),
    ...Array.from({ length: 4 }, (_, i) => ({ pseudonym: null, wallTime: at(8, i), outcome: 'completed' as const })),
    ...pseudonyms.slice(0, 2).map((p, i) => ({ pseudonym: p, wallTime: at(18, i), outcome: 'completed' as const })),
    { pseudonym: null, wallTime: at(8, 40), outcome: 'failed' as const },
  ].map((o, i) => exampleImpression(i + 1, { ...o, campaignId, framesShown: o.outcome === 'failed' ? 0 : 50 }));
  await f.broker.store.commitImpressions({ site: 'maple', device: 'gate-1' }, { batchId: randomUUID(), receivedAt: new Date() }, recs);
  // Another campaign's plays never leak into this report.
  await f.broker.store.commitImpressions({ site: 'maple', device: 'gate-1' }, { batchId: randomUUID(), receivedAt: new Date() }, [exampleImpression(100, { campaignId: 'other', wallTime: at(7, 0) })]);
});
afterAll(() => f.broker.destroy());

describe('campaign report', () => {
  it('counts plays, completions, residents and frequency, by day and daypart', async () => {
    const r = await f.noodles.get(`/api/v1/campaigns/${campaignId}/report`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ campaignId, from: today, to: today, minCohort: 5 });
    expect(r.body.totals).toMatchObject({ plays: 17, completed: 14, residents: 8, anonymousPlays: 4, failed: 1, suppressed: false });
    expect(r.body.frequency).toEqual([
      // D–H once (5, shown); C twice and A, B three times (under 5, suppressed).
      { bucket: '1', residents: 5, suppressed: false },
      { bucket: '2', residents: null, suppressed: true },
      { bucket: '3+', residents: null, suppressed: true },
    ]);
    const dp = Object.fromEntries(r.body.byDaypart.map((c: { key: string }) => [c.key, c]));
    // Evening (2 residents) is suppressed, so morning is too: the total minus morning would
    // give the evening away.
    expect(dp.evening).toMatchObject({ plays: null, suppressed: true });
    expect(dp.morning).toMatchObject({ plays: null, suppressed: true });
    expect(dp.midday).toMatchObject({ plays: 0, suppressed: false });
    expect(r.body.byDay).toEqual([{ key: today, plays: 17, completed: 14, completionRate: 0.8235, residents: 8, suppressed: false }]);
    expect(r.body.bySite).toEqual([expect.objectContaining({ key: 'maple', plays: 17 })]);
    expect(r.body.funnel.map((s: { stage: string }) => s.stage)).toEqual(['scheduled', 'played', 'completed']);
    expect(r.body.funnel[0].count).toBeGreaterThanOrEqual(0);
  });

  it('never shows a pseudonym, to the merchant or to an operator', async () => {
    for (const c of [f.noodles, f.operator]) {
      const text = JSON.stringify((await c.get(`/api/v1/campaigns/${campaignId}/report`)).body);
      for (const p of pseudonyms) expect(text).not.toContain(p);
      expect(text).not.toMatch(/k1\./);
    }
  });

  it('exports every table as CSV, suppressed cells empty', async () => {
    for (const table of ['byDay', 'byDaypart', 'bySite', 'byDoor', 'frequency', 'funnel']) {
      const r = await f.noodles.get(`/api/v1/campaigns/${campaignId}/report?format=csv&table=${table}`);
      expect([table, r.status]).toEqual([table, 200]);
      expect(r.headers.get('content-disposition')).toContain(`-${table}.csv`);
      expect(r.body as string).not.toMatch(/k1\./);
    }
    const dp = (await f.noodles.get(`/api/v1/campaigns/${campaignId}/report?format=csv&table=byDaypart`)).body as string;
    expect(dp.split('\r\n')).toContain('evening,,,,,true');
    expect((await f.noodles.get(`/api/v1/campaigns/${campaignId}/report?format=csv&table=secrets`)).status).toBe(400);
  });

  it('takes a date range, and refuses a reversed one', async () => {
    const tomorrow = new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const r = await f.noodles.get(`/api/v1/campaigns/${campaignId}/report?from=${tomorrow}&to=${tomorrow}`);
    expect(r.body.totals).toMatchObject({ plays: 0, suppressed: false });
    expect((await f.noodles.get(`/api/v1/campaigns/${campaignId}/report?from=${tomorrow}&to=${today}`)).status).toBe(400);
    expect((await f.noodles.get(`/api/v1/campaigns/${campaignId}/report?from=yesterday`)).body.issues[0].path).toBe('query.from');
  });
});
