// A second broker process (another node), for the oversell test: books one unit at a time on
// the shared state database (a SQLite state dir, or a postgres:// URL) and prints how many
// bookings succeeded and how many hit the capacity.
import { CreativeRows } from '../../creatives/creative-rows.js';
import { openSqliteStateDb } from '../../db/database.js';
import { PostgresStateDb } from '../../db/postgres-state-db.js';
import { CampaignTable } from '../../manifest/campaigns.js';
import { Bookings } from '../booking.js';
import { MarketError } from '../errors.js';
import { SiteStore } from '../sites.js';

const [state, merchantId, creative, date, attempts, site = 'maple'] = process.argv.slice(2) as [string, string, string, string, string, string?];
const db = state.startsWith('postgres://') ? await PostgresStateDb.open({ url: state, poolMax: 2 }) : openSqliteStateDb(state);
const bookings = new Bookings(db, new SiteStore(db, new CampaignTable(db)), new CreativeRows(db));
let ok = 0;
let full = 0;
// Start together: the parent releases every child with one byte on stdin.
process.stdin.once('data', async () => {
  for (let i = 0; i < Number(attempts); i++) {
    try {
      await bookings.book(merchantId, { name: `p${process.pid}-${i}`, sites: [site], dayparts: ['evening'], dates: { from: date, to: date }, creatives: [creative] });
      ok++;
    } catch (err) {
      if (!(err instanceof MarketError && err.code === 'conflict')) throw err;
      full++;
    }
  }
  await db.close();
  process.stdout.write(`${JSON.stringify({ ok, full })}\n`);
  process.exit(0);
});
process.stdout.write('ready\n');
