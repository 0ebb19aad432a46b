// Test helpers for the store's tests: temporary folders that are removed after each test,
// and valid rows, plays and stamps to vary.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { DoorEventRow } from '../ingest/pipeline.js';
import type { Play, Stamp } from './records.js';
import { Store, type StoreOptions } from './store.js';

export const BOOT_A = '3f2b9c1e-1111-4222-8333-444455556666';
export const BOOT_B = '9d1c2b3a-5555-4666-8777-888899990000';
/** 2026-01-01T07:00:00Z */
export const T0 = 1_767_250_800_000;
export const ROOMY = { maxDoorEvents: 1_000_000, maxBytes: 2 ** 30 };

/** A fresh folder, removed when the current test ends. */
export function tempDir(prefix = 'dc-store-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A store in a fresh folder, closed when the current test ends. */
export function openStore(over: Partial<StoreOptions> = {}): Store {
  const s = new Store({ path: join(tempDir(), 'agent.db'), budget: ROOMY, ...over });
  onTestFinished(() => s.close());
  return s;
}

export function pseudonym(n: number): string {
  return `k1.${n.toString(36).padStart(22, 'A')}`;
}

export function row(seq: number | null, over: Partial<DoorEventRow> = {}): DoorEventRow {
  return {
    controllerId: 'DC-1',
    seq,
    source: 'main',
    door: 'east-gate',
    kind: 'unlock',
    method: 'card',
    granted: true,
    reason: 0,
    state: null,
    pseudonym: pseudonym(seq ?? 0),
    keyId: 'k1',
    controllerTimeMs: 0,
    wallTimeMs: T0 + (seq ?? 0) * 1000,
    bootId: BOOT_A,
    monoMs: 1000 + (seq ?? 0),
    clockSynced: true,
    ...over,
  };
}

export function doorState(seq: number | null, state: 'opened' | 'closed', over: Partial<DoorEventRow> = {}): DoorEventRow {
  return row(seq, { kind: 'door-state', method: null, granted: null, reason: null, state, pseudonym: null, keyId: null, ...over });
}

export function stamp(over: Partial<Stamp> = {}): Stamp {
  return { wallMs: T0, bootId: BOOT_A, monoMs: 5000, clockSynced: true, ...over };
}

let plays = 0;
export function play(over: Partial<Play> = {}): Play {
  plays++;
  return {
    impressionId: `00000000-0000-4000-8000-${plays.toString(16).padStart(12, '0')}`,
    campaignId: 'noodles-autumn',
    creativeId: 'noodles-15s',
    door: 1,
    pseudonym: pseudonym(7),
    segments: ['morning', 'school-run'],
    decisionLatencyMs: 3.5,
    firstFrameLatencyMs: 120,
    framesShown: 450,
    framesExpected: 450,
    outcome: 'completed',
    ...over,
  };
}
