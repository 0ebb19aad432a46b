// The demo's marketplace: the agent's community as a market site, an operator and a merchant
// who can sign in to the console, consent recorded for the simulated residents (so their
// plays reach the report's minimum cohort), and one booking made the way a merchant makes
// it: a clip uploaded through the real pipeline, then slots booked. A rerun reuses them.
import { copyFileSync, createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { RunningBroker } from '@doorcast/broker';
import { Traffic } from '@doorcast/firmware-protocol/emulator';
import { loadKeyFile } from '../../agent/src/identity/keys.js';
import { pseudonymise } from '../../agent/src/identity/pseudonymise.js';
import { DAYPART_IDS } from '../../broker/src/market/dayparts.js';
import { MarketError } from '../../broker/src/market/errors.js';
import { addDays, localHourOf } from '../../broker/src/market/site-time.js';

/** Demo only, on localhost: printed so whoever runs `npm start` can sign in. */
export const DEMO_LOGINS = {
  operator: { email: 'operator@demo.doorcast', password: 'demo-operator-pass' },
  merchant: { email: 'noodles@demo.doorcast', password: 'demo-merchant-pass' },
} as const;

export interface DemoMarketOptions {
  site: string;
  timezone: string;
  keyFile: string;
  sim: { doors: number; residents: number; seed: number };
  clipFile: string;
  /** Where the agent's player finds creatives by hash (as creatives.ts places the others). */
  creativesDir: string;
}

async function ensureAccount(broker: RunningBroker, input: Record<string, unknown>): Promise<void> {
  try {
    await broker.market.accounts.create(input);
  } catch (err) {
    if (!(err instanceof MarketError && err.code === 'exists')) throw err;
  }
}

export async function installDemoMarket(broker: RunningBroker, o: DemoMarketOptions): Promise<{ campaignId: string }> {
  const m = broker.market;
  const site = await m.sites.get(o.site);
  if (!site) {
    await m.sites.create({ id: o.site, name: 'Demo Court', lat: 31.2304, lon: 121.4737, timezone: o.timezone, doors: [{ id: 'east-gate', name: 'East gate' }, { id: 'lobby', name: 'Lobby' }] });
  } else if (site.timezone !== o.timezone) {
    await m.sites.update(o.site, { timezone: o.timezone });
  }
  await ensureAccount(broker, { ...DEMO_LOGINS.operator, name: 'Demo operator', role: 'operator' });
  await ensureAccount(broker, { ...DEMO_LOGINS.merchant, name: 'Ms Li', role: 'merchant', merchant: { name: 'Lotus Noodles', lat: 31.2312, lon: 121.4745 } });

  // The property records consent; here, for every simulated resident.
  const key = loadKeyFile(o.keyFile);
  const consent = new Traffic({ doors: o.sim.doors, residents: o.sim.residents, seed: o.sim.seed }).residents.flatMap((r) => pseudonymise(key, r.credential) ?? []);
  await broker.campaigns.setSite(o.site, { ...(await broker.campaigns.site(o.site)), consent });

  const merchantId = (await m.accounts.byEmail(DEMO_LOGINS.merchant.email))!.merchantId!;
  const today = localHourOf(Date.now(), o.timezone).date;
  const live = (await m.bookings.list({ merchantId, limit: 50 })).find((c) => (c.status === 'active' || c.status === 'booked') && c.dates.to >= today);
  if (live) return placed(broker, live.creatives, o.creativesDir, live.id);
  const creative = await m.uploads.accept({ merchantId, name: 'lotus-noodles.mp4', body: createReadStream(o.clipFile) });
  const ready = creative.status === 'processing' ? await m.uploads.settled(creative.id, 60_000) : creative;
  if (ready.status !== 'ready') throw new Error(`demo clip rejected: ${ready.reason}`);
  const c = await m.book(merchantId, { name: 'Lotus Noodles all week', sites: [o.site], dayparts: DAYPART_IDS, dates: { from: today, to: addDays(today, 13) }, units: 2, creatives: [ready.id] });
  await m.idle();
  return placed(broker, c.creatives, o.creativesDir, c.id);
}

/** The booked clip's rendition, put where the player looks, so the first plays need no download. */
async function placed(broker: RunningBroker, creatives: readonly string[], dir: string, campaignId: string): Promise<{ campaignId: string }> {
  for (const id of creatives) {
    for (const r of (await broker.market.uploads.get(id))?.renditions ?? []) copyFileSync(broker.creatives.pathOf(r.sha256), join(dir, `${r.sha256}.mp4`));
  }
  return { campaignId };
}
