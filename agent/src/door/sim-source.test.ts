import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/pty.js';
import type { SourceEvent } from './event.js';
import { simSource } from './sim-source.js';

describe('sim source', () => {
  it('drives real doorlink traffic through the source in accelerated time, all acked', async () => {
    const got: SourceEvent[] = [];
    const src = simSource({ name: 'demo', doors: 2, speed: 3000, seed: 5, startAt: Date.UTC(2026, 0, 5, 7, 0) });
    await src.start((e) => {
      got.push(e);
      return 'stored';
    });
    try {
      await waitFor(() => got.length >= 20, '20 events', 20_000);
      expect(got.some((e) => e.kind === 'unlock')).toBe(true);
      expect(got.some((e) => e.kind === 'door-state')).toBe(true);
      expect(new Set(got.map((e) => e.controllerId))).toEqual(new Set([src.emulator.controllerId]));
      expect(src.emulator.controllerId).toMatch(/^SIM-demo-[0-9a-z]+$/);
      await waitFor(() => src.emulator.acked.size >= 20, 'acks back at the emulator');
    } finally {
      await src.stop();
    }
  });
});
