import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Registry } from '../obs/metrics.js';
import { Store } from './store.js';
import { ROOMY, row, tempDir } from './testing.js';

/** A real database with 2000 door events, closed (WAL checkpointed into the file). */
function filled(path: string): void {
  const s = new Store({ path, budget: ROOMY });
  s.transaction(() => {
    for (let i = 1; i <= 2000; i++) s.insertDoorEvent(row(i));
  });
  s.close();
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { log: pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) }), lines };
}

const CORRUPTIONS: [string, (path: string) => void][] = [
  ['random bytes', (p) => writeFileSync(p, Buffer.from(Array.from({ length: 16384 }, (_, i) => (i * 7919 + 13) & 0xff)))],
  [
    'a truncated database',
    (p) => {
      filled(p);
      writeFileSync(p, readFileSync(p).subarray(0, 8192 + 100));
    },
  ],
  [
    'a database with a page overwritten',
    (p) => {
      filled(p);
      const b = readFileSync(p);
      expect(b.length).toBeGreaterThan(4096 * 8);
      b.fill(0xa5, 4096 * 5, 4096 * 6);
      writeFileSync(p, b);
    },
  ],
  [
    'a database whose header is zeroed',
    (p) => {
      filled(p);
      const b = readFileSync(p);
      b.fill(0, 0, 100);
      writeFileSync(p, b);
    },
  ],
];

describe('corrupt database recovery', () => {
  it.each(CORRUPTIONS)('%s is moved aside (with its WAL), logged, counted, and the store starts clean', (_, corrupt) => {
    const dir = tempDir();
    const path = join(dir, 'agent.db');
    corrupt(path);
    writeFileSync(`${path}-wal`, Buffer.alloc(0));
    const { log, lines } = capture();
    const registry = new Registry();
    const s = new Store({ path, budget: ROOMY, log, registry });
    try {
      expect(s.recoveredFrom).toMatch(/agent\.db\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
      expect(existsSync(s.recoveredFrom!)).toBe(true);
      expect(existsSync(`${s.recoveredFrom}-wal`)).toBe(true);
      const line = lines.find((l) => l.msg === 'store: database corrupt, moved aside; starting with an empty database');
      expect(line).toMatchObject({ level: 50, path, movedTo: s.recoveredFrom });
      expect(s.doorEvents.count()).toBe(0);
      expect(s.insertDoorEvent(row(1))).toBe('stored');
    } finally {
      s.close();
    }
    return registry.getSingleMetricAsString('doorcast_store_corrupt_recoveries_total').then((t) => expect(t).toMatch(/^doorcast_store_corrupt_recoveries_total 1$/m));
  });

  it('keeps only the newest corrupt copies, so repeated corruption cannot fill the disk', () => {
    const dir = tempDir();
    const path = join(dir, 'agent.db');
    for (let i = 0; i < 4; i++) {
      writeFileSync(path, Buffer.alloc(4096, 0x42 + i));
      const s = new Store({ path, budget: ROOMY, keepCorrupt: 2 });
      s.close();
      // Distinct millisecond timestamps in the names.
      const until = Date.now() + 3;
      while (Date.now() < until);
    }
    const aside = readdirSync(dir).filter((f) => f.startsWith('agent.db.corrupt-') && !f.endsWith('-wal') && !f.endsWith('-shm'));
    expect(aside).toHaveLength(2);
    // The newest two remain: the last two fill bytes.
    expect(aside.sort().map((f) => readFileSync(join(dir, f))[0])).toEqual([0x44, 0x45]);
  });

  it('a sound database is opened as it is, with quick_check too', () => {
    const path = join(tempDir(), 'agent.db');
    filled(path);
    const s = new Store({ path, budget: ROOMY, check: 'quick' });
    expect(s.recoveredFrom).toBeUndefined();
    expect(s.doorEvents.count()).toBe(2000);
    s.close();
  });
});
