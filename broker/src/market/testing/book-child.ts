// A second broker process, for the oversell test: books one unit at a time on the shared
// state database and prints how many bookings succeeded and how many hit the capacity.
import { CreativeRows } from '../../creatives/creative-rows.js';
import { openStateDb } from '../../db/database.js';
import { CampaignTable } from '../../manifest/campaigns.js';
import { Bookings } from '../booking.js';
import { MarketError } from '../errors.js';
import { SiteStore } from '../sites.js';

const [stateDir, merchantId, creative, date, attempts] = process.argv.slice(2) as [string, string, string, string, string];
const db = openStateDb(stateDir);
const bookings = new Bookings(db, new SiteStore(db, new CampaignTable(db)), new CreativeRows(db));
let ok = 0;
let full = 0;
// Start together: the parent releases every child with one byte on stdin.
process.stdin.once('data', () => {
  for (let i = 0; i < Number(attempts); i++) {
    try {
      bookings.book(merchantId, { name: `p${process.pid}-${i}`, sites: ['maple'], dayparts: ['evening'], dates: { from: date, to: date }, creatives: [creative] });
      ok++;
    } catch (err) {
      if (!(err instanceof MarketError && err.code === 'conflict')) throw err;
      full++;
    }
  }
  db.close();
  process.stdout.write(`${JSON.stringify({ ok, full })}\n`);
  process.exit(0);
});
process.stdout.write('ready\n');
