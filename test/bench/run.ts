// `npm run bench`: runs every test/bench/*.bench.ts (or those named on the command line),
// prints each figure, and the machine it ran on, for BENCHMARKS.md.
import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename } from 'node:path';
import type { BenchResult } from './result.js';

const dir = new URL('.', import.meta.url);
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

const cpu = cpus()[0]?.model ?? 'unknown cpu';
console.log(`machine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${new Date().toISOString()}`);
let failed = 0;
for (const f of files) {
  const mod = (await import(new URL(f, dir).href)) as { run: () => Promise<BenchResult[]> };
  console.log(`\n## ${basename(f, '.bench.ts')}`);
  try {
    for (const r of await mod.run()) {
      console.log(`${r.name.padEnd(58)} ${String(r.value).padStart(12)} ${r.unit}${r.note ? `  (${r.note})` : ''}`);
    }
  } catch (err) {
    failed++;
    console.error(`  failed: ${(err as Error).stack ?? String(err)}`);
  }
}
process.exit(failed ? 1 : 0);
