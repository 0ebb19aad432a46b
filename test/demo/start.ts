// `npm start`: the embedded demo. Everything on this machine, nothing to configure: a
// simulated door controller speaking real doorlink bytes to the agent, which pseudonymises,
// stores and tracks dwell windows, printed live, and syncs over MQTT to the real broker in
// this process. State lives in .doorcast-demo/ (or --dir).
//   npm start                        run until Ctrl-C
//   npm start -- --for 10 --speed 600  stop after 10 s, simulated time 600× real time
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, type ClosedWindow, type DwellWindow, initKeyFile, openAgentStore, parseConfig, silentLogger } from '@doorcast/agent';
import Database from 'better-sqlite3';
import { startDemoCloud } from './cloud.js';
import { installDemoCampaigns } from './creatives.js';
import { DEMO_LOGINS, installDemoMarket } from './market.js';

const { values: opt } = parseArgs({
  options: {
    dir: { type: 'string', default: resolve(import.meta.dirname, '../../.doorcast-demo') },
    for: { type: 'string' },
    speed: { type: 'string', default: '60' },
  },
});
const dir = resolve(opt.dir);
mkdirSync(dir, { recursive: true, mode: 0o700 });
const keyFile = join(dir, 'site-key.json');
if (!existsSync(keyFile)) initKeyFile(keyFile);

const site = 'demo-court';
const device = 'demo-gate';
const { broker, credentialsFile } = await startDemoCloud(dir, site, device);
const creativesDir = join(dir, 'creatives');
const campaigns = await installDemoCampaigns(dir, broker, site, creativesDir);

const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const sim = { doors: 2, residents: 400, seed: Date.now() % 100_000 };
const booked = await installDemoMarket(broker, { site, timezone, keyFile, sim, clipFile: join(dir, 'clips', 'noodle-bar.mp4'), creativesDir });
await broker.manifests.refresh();
const config = parseConfig({
  version: 1,
  device: { id: device, site },
  stateDir: join(dir, 'state'),
  keyFile,
  site: { timezone },
  sources: [{ kind: 'sim', name: 'sim', speed: Number(opt.speed), doors: sim.doors, seed: sim.seed }],
  doors: [
    { id: 'east-gate', source: 'sim', controllerDoor: 1 },
    { id: 'lobby', source: 'sim', controllerDoor: 2 },
  ],
  metrics: { port: 0 },
  clock: { sync: 'assume-synced' },
  cloud: { credentialsFile },
  // No screen here: the snapshot sink keeps each play's first frame as a PNG and a hash log.
  screen: { sink: 'snapshot', snapshotDir: join(dir, 'snapshots'), creativesDir },
});

const hhmmss = (ms: number) => new Date(ms).toLocaleTimeString('en-GB', { timeZone: timezone });
const who = (p: string | null) => (p ? `resident ${p.slice(0, 10)}…` : 'anonymous');
const out = (s: string) => process.stdout.write(`${s}\n`);
let windows = 0;
const agent = new Agent(config, {
  log: silentLogger,
  openStore: openAgentStore,
  onWindow: {
    opened(w: DwellWindow) {
      windows++;
      out(`${hhmmss(w.openedAt)}  ${w.door.padEnd(9)} ${w.method.padEnd(11)} ${who(w.pseudonym).padEnd(22)} window #${w.id} open`);
    },
    closed(w: ClosedWindow) {
      out(`${hhmmss(w.endedAt)}  ${w.door.padEnd(9)} window #${w.id} closed after ${((w.endedAt - w.openedAt) / 1000).toFixed(1)} s (${w.reason})`);
    },
  },
});

await agent.start();
out(`doorcast demo: device ${device} at ${site} (${timezone}); state in ${dir}`);
out(`campaigns: ${campaigns.join(', ')}; first frames of plays in ${join(dir, 'snapshots')}`);
out(`agent metrics: http://127.0.0.1:${agent.metricsPort}/metrics   broker: mqtt://127.0.0.1:${broker.mqttPort}, http://127.0.0.1:${broker.httpPort}   stop: Ctrl-C`);
out(`console: http://127.0.0.1:${broker.httpPort}/console/  merchant ${DEMO_LOGINS.merchant.email} / ${DEMO_LOGINS.merchant.password} (campaign ${booked.campaignId}), operator ${DEMO_LOGINS.operator.email} / ${DEMO_LOGINS.operator.password}`);

const ref = { site, device };
/** What merchants will see: plays per campaign, counted in the cloud's store (aggregates only). */
async function playsByCampaign(): Promise<string> {
  const rows = await broker.store.listImpressions(ref, { limit: 1000, afterSeq: Math.max(0, (await broker.store.countImpressions(ref)) - 1000) });
  const by = new Map<string, number>();
  for (const r of rows) by.set(r.campaignId, (by.get(r.campaignId) ?? 0) + 1);
  return [...by].map(([c, n]) => `${c} ${n}`).join(', ') || 'none yet';
}
const summary = setInterval(() => {
  void (async () => {
    const queued = agent.store?.outbox.depth() ?? 0;
    const acked = await broker.store.countImpressions(ref);
    const status = await broker.fleet.get(ref);
    const plays = await playsByCampaign();
    out(`-- link ${agent.cloud?.link.connected ? 'up' : 'down'} · manifest v${agent.cloud?.manifests.version ?? 0} · ${windows} unlocks with a window · plays ${plays} · impressions queued ${queued}, in the cloud ${acked} · fleet: ${status?.online ? 'online' : 'offline'}`);
  })();
}, 2000);

const stop = async () => {
  clearInterval(summary);
  await agent.stop();
  out(`plays in the cloud: ${await playsByCampaign()}`);
  // What the merchant's console shows: aggregates only, small cells suppressed.
  const r = await broker.market.report(booked.campaignId);
  const n = (x: number | null) => (x === null ? `<${r.minCohort} residents` : String(x));
  out(`merchant report ${booked.campaignId}: plays ${n(r.totals.plays)}, completed ${n(r.totals.completed)}, residents ${n(r.totals.residents)}`);
  await broker.stop();
  const db = new Database(join(config.stateDir, 'agent.db'), { readonly: true });
  const stored = (db.prepare('SELECT count(*) AS n FROM door_events').get() as { n: number }).n;
  db.close();
  out(`stopped: ${stored} door events in the store, ${windows} dwell windows this run`);
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
if (opt.for) setTimeout(() => void stop(), Number(opt.for) * 1000);
