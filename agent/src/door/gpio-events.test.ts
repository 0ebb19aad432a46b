// Role, edge and level → door event (pure). Polarity is the kernel's (active_low), tested
// end to end in gpio-source.test.ts; here levels are already logical.
import { describe, expect, it } from 'vitest';
import { type GpioInput, gpioEvent } from './gpio-events.js';

const origin = { source: 'gate-io', controllerId: 'gpio:pinctrl-bcm2711' };
const brief = (input: GpioInput, level: 0 | 1) => {
  const e = gpioEvent(input, level, origin);
  if (e === null) return null;
  return e.kind === 'door-state' ? e.state : `unlock ${e.method}`;
};

describe('gpioEvent', () => {
  it.each([
    [{ role: 'door-contact', door: 1, edge: 'both' }, ['closed', 'opened']],
    [{ role: 'door-contact', door: 1, edge: 'rising' }, [null, 'opened']],
    [{ role: 'door-contact', door: 1, edge: 'falling' }, ['closed', null]],
    [{ role: 'lock-relay', door: 1, edge: 'rising', method: 'card' }, [null, 'unlock card']],
    [{ role: 'lock-relay', door: 1, edge: 'falling', method: 'remote' }, ['unlock remote', null]],
    [{ role: 'exit-button', door: 1, edge: 'rising' }, [null, 'unlock exit-button']],
    [{ role: 'exit-button', door: 1, edge: 'falling' }, ['unlock exit-button', null]],
  ] as const)('%j: level 0 → %j', (input, [at0, at1]) => {
    expect(brief(input, 0)).toBe(at0);
    expect(brief(input, 1)).toBe(at1);
  });

  it('carries no identity: no seq, no credential, no controller clock', () => {
    expect(gpioEvent({ role: 'lock-relay', door: 3, edge: 'rising', method: 'qr' }, 1, origin)).toEqual({
      ...origin,
      seq: null,
      door: 3,
      controllerTime: 0,
      kind: 'unlock',
      method: 'qr',
      granted: true,
      reason: 0,
      credential: new Uint8Array(0),
    });
    expect(gpioEvent({ role: 'door-contact', door: 2, edge: 'both' }, 1, origin)).toEqual({ ...origin, seq: null, door: 2, controllerTime: 0, kind: 'door-state', state: 'opened' });
  });
});
