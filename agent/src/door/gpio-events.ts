// What a debounced GPIO level change means, as a door event. Pure. Levels are logical: the
// kernel has already applied active_low (gpio-sysfs.ts), so 1 is always "active".
import type { Method } from '@doorcast/firmware-protocol';
import type { SourceEvent } from './event.js';

/**
 * What a lock relay's sense line cannot tell: who or what released the lock. The protocol's
 * methods (PROTOCOL.md §3.2) all name a cause, and none means "unknown", so the installer
 * says what drives this relay (a standalone card reader: card; an intercom release: remote).
 * The exit-button role is always 'exit-button', which carries no credential by definition.
 */
export const RELAY_METHODS = ['card', 'qr', 'face', 'pin', 'remote'] as const satisfies readonly Method[];
export type RelayMethod = (typeof RELAY_METHODS)[number];

export type GpioInput =
  | { role: 'door-contact'; door: number; edge: 'both' | 'rising' | 'falling' }
  | { role: 'lock-relay'; door: number; edge: 'rising' | 'falling'; method: RelayMethod }
  | { role: 'exit-button'; door: number; edge: 'rising' | 'falling' };

export interface EventOrigin {
  source: string;
  controllerId: string;
}

/**
 * The event for a new stable level, or null when the configured edge ignores it.
 * door-contact: active = opened, inactive = closed; `edge` keeps both or one of them.
 * lock-relay, exit-button: one unlock per activation, on becoming active (rising) or on
 * returning to rest (falling, for buttons wired to act on release); the other edge is not an
 * unlock. GPIO carries no identity: seq null, no credential, no controller clock.
 */
export function gpioEvent(input: GpioInput, level: 0 | 1, origin: EventOrigin): SourceEvent | null {
  const rising = level === 1;
  const base = { ...origin, seq: null, door: input.door, controllerTime: 0 };
  switch (input.role) {
    case 'door-contact':
      if ((input.edge === 'rising' && !rising) || (input.edge === 'falling' && rising)) return null;
      return { ...base, kind: 'door-state', state: rising ? 'opened' : 'closed' };
    case 'lock-relay':
    case 'exit-button': {
      if (rising !== (input.edge === 'rising')) return null;
      const method: Method = input.role === 'lock-relay' ? input.method : 'exit-button';
      return { ...base, kind: 'unlock', method, granted: true, reason: 0, credential: new Uint8Array(0) };
    }
  }
}
