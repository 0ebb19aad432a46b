// Child process for power-cut.test.ts and durability.test.ts. Writes as fast as it can and
// prints each seq once its commit has returned, i.e. once it would have been acked.
//   tsx power-cut-writer.ts <db path> <count> [door|counters]
// door: one door event per commit (synchronous=FULL); counters: one standalone counter
// increment per commit (synchronous=NORMAL).
import { writeSync } from 'node:fs';
import { benchRow } from './bench.js';
import { Store } from './store.js';

const [path, countArg, mode = 'door'] = process.argv.slice(2);
if (!path || !countArg || (mode !== 'door' && mode !== 'counters')) {
  process.stderr.write('usage: power-cut-writer.ts <db path> <count> [door|counters]\n');
  process.exit(2);
}
const store = new Store({ path, budget: { maxDoorEvents: Number.MAX_SAFE_INTEGER, maxBytes: 2 ** 40 }, budgetEvery: Number.MAX_SAFE_INTEGER });
const count = Number(countArg);
for (let seq = 1; seq <= count; seq++) {
  if (mode === 'door') store.insertDoorEvent(benchRow(seq));
  else store.counters.increment([{ pseudonym: benchRow(seq).pseudonym!, campaign: 'c1', day: '2026-01-01', completed: true }]);
  // Synchronous write: the line is out before the next commit starts.
  writeSync(1, `${seq}\n`);
}
store.close();
