import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { benchInsert } from './bench.js';
import { tempDir } from './testing.js';

describe('benchInsert', () => {
  it('inserts n door events durably in a temporary database and cleans up after itself', () => {
    const dir = tempDir('dc-bench-');
    const r = benchInsert(50, { dir });
    expect(r).toMatchObject({ n: 50, synchronous: 'FULL' });
    expect(r.seconds).toBeGreaterThan(0);
    expect(r.perSecond).toBeCloseTo(50 / r.seconds);
    expect(readdirSync(dir)).toEqual([]);
  });
});
