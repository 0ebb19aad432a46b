// Valid example payloads: the ones CLOUD-LINK.md shows, and the starting point of tests on
// both sides (mutate a copy to make a bad one).
import { randomUUID } from 'node:crypto';
import type { DoorCountBatch, DoorCountRecord } from './door-counts.js';
import type { DeviceRef } from './ids.js';
import type { ImpressionBatch, ImpressionRecord } from './impressions.js';
import type { ManifestBody } from './manifest.js';
import type { State } from './state.js';

export const EXAMPLE_BOOT_ID = '6f1c2b7e-3f4a-4d8e-9b1a-2c3d4e5f6a7b';

export function exampleImpression(deviceSeq: number, overrides: Partial<ImpressionRecord> = {}): ImpressionRecord {
  return {
    impressionId: randomUUID(),
    deviceSeq,
    campaignId: 'noodle-shop-breakfast',
    creativeId: 'c-2f9a',
    door: 1,
    pseudonym: 'k1.AAAAAAAAAAAAAAAAAAAAAA',
    segments: ['morning', 'school-run'],
    decisionLatencyMs: 3.2,
    firstFrameLatencyMs: 41,
    framesShown: 240,
    framesExpected: 240,
    outcome: 'completed',
    wallTime: '2026-11-23T07:42:29.123Z',
    bootId: EXAMPLE_BOOT_ID,
    monoMs: 8_123_456,
    clockSynced: true,
    ...overrides,
  };
}

export function exampleImpressionBatch(ref: DeviceRef, seqs: readonly number[], batchId: string = randomUUID()): ImpressionBatch {
  return { batchId, site: ref.site, device: ref.device, records: seqs.map((s) => exampleImpression(s)) };
}

export function exampleDoorCount(deviceSeq: number, overrides: Partial<DoorCountRecord> = {}): DoorCountRecord {
  return {
    deviceSeq,
    door: 1,
    hourStart: '2026-11-23T07:00:00.000Z',
    unlocksGranted: 41,
    unlocksDenied: 2,
    doorOpens: 40,
    impressions: 38,
    bootId: EXAMPLE_BOOT_ID,
    clockSynced: true,
    ...overrides,
  };
}

export function exampleDoorCountBatch(ref: DeviceRef, seqs: readonly number[], batchId: string = randomUUID()): DoorCountBatch {
  return { batchId, site: ref.site, device: ref.device, records: seqs.map((s) => exampleDoorCount(s)) };
}

export function exampleState(overrides: Partial<State> = {}): State {
  return {
    online: true,
    agentVersion: '0.1.0',
    manifestVersion: 3,
    outboxDepth: 12,
    oldestUnsyncedAgeS: 42.5,
    bootId: EXAMPLE_BOOT_ID,
    ts: '2026-11-23T07:43:00.000Z',
    ...overrides,
  } as State;
}

export function exampleManifestBody(ref: DeviceRef, version: number, overrides: Partial<ManifestBody> = {}): ManifestBody {
  return {
    site: ref.site,
    device: ref.device,
    version,
    issuedAt: '2026-11-23T06:00:00.000Z',
    timezone: 'Asia/Shanghai',
    campaignSet: { campaigns: [{ id: 'noodle-shop-breakfast', creatives: ['c-2f9a'] }] },
    creatives: [{ sha256: 'a'.repeat(64), url: `/creatives/${'a'.repeat(64)}`, bytes: 1_048_576 }],
    segmentRules: [{ segment: 'morning', daypart: '06:00-09:00' }],
    consent: ['k1.AAAAAAAAAAAAAAAAAAAAAA'],
    optOuts: [],
    quietHours: [{ start: '22:00', end: '06:30' }],
    ...overrides,
  };
}
