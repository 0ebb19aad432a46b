// Durable door-event inserts per second: the ceiling on what one agent can ack. WAL mode on a
// temporary file, one autocommit insert per event as the ingest path does it. synchronous=FULL
// is what the store runs; NORMAL is there to show what the fsync per commit costs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DoorEventRow } from '../ingest/pipeline.js';
import { Store } from './store.js';

export interface InsertBench {
  n: number;
  synchronous: 'FULL' | 'NORMAL';
  seconds: number;
  perSecond: number;
}

export interface InsertBenchOptions {
  synchronous?: 'FULL' | 'NORMAL';
  /** Folder for the temporary database (default: the OS temp dir); the file system is what is measured. */
  dir?: string;
}

export function benchRow(seq: number): DoorEventRow {
  return {
    controllerId: 'DC-BENCH',
    seq,
    source: 'bench',
    door: 'east-gate',
    kind: 'unlock',
    method: 'card',
    granted: true,
    reason: 0,
    state: null,
    pseudonym: `k1.${seq.toString(36).padStart(22, '0')}`,
    keyId: 'k1',
    controllerTimeMs: 0,
    wallTimeMs: 1_767_250_800_000 + seq,
    bootId: 'bench-boot',
    monoMs: seq,
    clockSynced: true,
  };
}

export function benchInsert(n = 2000, o: InsertBenchOptions = {}): InsertBench {
  const synchronous = o.synchronous ?? 'FULL';
  const dir = mkdtempSync(join(o.dir ?? tmpdir(), 'dc-bench-store-'));
  const store = new Store({ path: join(dir, 'bench.db'), budget: { maxDoorEvents: n + 1, maxBytes: 2 ** 40 }, budgetEvery: Number.MAX_SAFE_INTEGER });
  try {
    store.db.pragma(`synchronous = ${synchronous}`);
    const t0 = process.hrtime.bigint();
    for (let i = 1; i <= n; i++) store.insertDoorEvent(benchRow(i));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { n, synchronous, seconds, perSecond: n / seconds };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
