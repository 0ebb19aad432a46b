// doorcast status reads a live store: backlog, its age and drain rate, creatives ready.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, play, stamp, tempDir } from '../store/testing.js';
import { formatStatus, readStatus } from './status.js';

describe('doorcast status', () => {
  it('shows the backlog, its drain and the creatives ready', () => {
    const dir = tempDir();
    const s = openStore({ path: join(dir, 'agent.db') });
    const t = Date.parse('2026-11-20T00:00:00Z');
    s.transaction(() => {
      for (let i = 0; i < 1000; i++) s.recordPlay(play(), stamp({ wallMs: t + i * 1000, monoMs: i }));
    });
    const body = JSON.stringify({ creatives: [{ sha256: 'a'.repeat(64) }, { sha256: 'b'.repeat(64) }] });
    s.state.saveManifest({ version: 7, body, signature: 'x', keyId: 'k', appliedMs: t });
    mkdirSync(join(dir, 'cache'));
    writeFileSync(join(dir, 'cache', 'index.json'), JSON.stringify({ version: 1, ready: { ['a'.repeat(64)]: {} }, rejected: {} }));
    const now = t + 3 * 86_400_000;
    const first = readStatus(dir, now);
    expect(first).toMatchObject({ outbox: 1000, manifestVersion: 7, creativesReady: 1, creativesWanted: 2 });
    expect(formatStatus(first, undefined, now)).toBe('manifest v7 · creatives █████░░░░░ 1/2 · backlog 1,000 impressions (oldest 3.0 d)');
    s.outbox.deleteAcked(Array.from({ length: 500 }, (_, i) => i + 1));
    const later = readStatus(dir, now + 10_000);
    expect(formatStatus(later, { status: first, atMs: now }, now + 10_000)).toMatch(/backlog 500 impressions .*, 50\/s, empty in 10 s$/);
    expect(readStatus(join(dir, 'nothing'))).toMatchObject({ outbox: 0, manifestVersion: 0 });
  });
});
