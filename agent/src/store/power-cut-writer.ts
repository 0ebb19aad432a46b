// Child process for power-cut.test.ts: inserts door events as fast as it can and prints each
// seq once its commit has returned (i.e. once it would have been acked to the controller).
import { Store } from './store.js';

const [path, countArg] = process.argv.slice(2);
const store = new Store({ path: path!, budget: { maxDoorEvents: 10_000_000, maxBytes: 2 ** 34 }, budgetEvery: 1e9 });
const count = Number(countArg);
let out = '';
for (let seq = 1; seq <= count; seq++) {
  store.insertDoorEvent({
    controllerId: 'DC-CUT', seq, source: 'main', door: 'east-gate', kind: 'unlock', method: 'card', granted: true, reason: 0, state: null,
    pseudonym: `k1.${seq.toString(36).padStart(22, '0')}`, keyId: 'k1', controllerTimeMs: 0, wallTimeMs: Date.now(), bootId: 'b', monoMs: seq, clockSynced: true,
  });
  out += `${seq}\n`;
  if (seq % 16 === 0) {
    process.stdout.write(out);
    out = '';
  }
}
process.stdout.write(out);
store.close();
