// Site edits on both state engines: patches made at once from two nodes each keep the other's
// fields (the merge reads the row under its lock), and a patch of a missing site changes nothing.
import { describe, expect, it } from 'vitest';
import { stateBackends } from '../../../test/support/state-backends.js';
import { CampaignTable } from '../manifest/campaigns.js';
import { MarketError } from './errors.js';
import { SiteStore } from './sites.js';

const maple = { id: 'maple', name: 'Maple Court', lat: 31.23, lon: 121.47, timezone: 'Asia/Shanghai', doors: [{ id: 'east', name: 'East gate' }], capacityUnits: 6 };

describe.each(stateBackends())('sites on $name', (backend) => {
  it('two nodes patching different fields at once both land', async () => {
    const a = await backend.open();
    // SQLite: one connection per process (a second one here would busy-wait on the first, which
    // cannot move meanwhile); concurrency between processes is booking.test.ts's child race.
    const b = backend.name === 'sqlite' ? a : await backend.openAgain();
    const onA = new SiteStore(a, new CampaignTable(a));
    const onB = new SiteStore(b, new CampaignTable(b));
    await onA.create({ ...maple, priceCents: { morning: 100 } });
    // Rounds of simultaneous edits: the name and capacity from A, prices from B.
    for (let i = 1; i <= 10; i++) {
      await Promise.all([onA.update('maple', { name: `Maple ${i}`, capacityUnits: 6 + i }), onB.update('maple', { priceCents: { evening: 100 + i } })]);
      const s = (await onB.get('maple'))!;
      expect([s.name, s.capacityUnits, s.priceCents.evening, s.priceCents.morning]).toEqual([`Maple ${i}`, 6 + i, 100 + i, 100]);
    }
  });

  it('a patch of a site that does not exist is not-found and creates nothing', async () => {
    const db = await backend.open();
    const sites = new SiteStore(db, new CampaignTable(db));
    await expect(sites.update('nowhere', { name: 'x' })).rejects.toBeInstanceOf(MarketError);
    expect(await sites.list()).toEqual([]);
  });
});
