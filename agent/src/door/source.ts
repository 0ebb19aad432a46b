// One interface for every door-event source (serial, tcp, gpio, udp-controller, sim).
import type { Deliver } from './event.js';

export type LinkState = 'starting' | 'up' | 'down' | 'stopped';

export interface SourceStatus {
  name: string;
  kind: 'serial' | 'tcp' | 'gpio' | 'udp-controller' | 'sim';
  link: LinkState;
  /** Human-readable detail for logs and `doorcast doctor`, e.g. "waiting for /dev/ttyUSB0 (ENOENT)". */
  detail: string;
  reconnects: number;
  eventsDelivered: number;
  lastEventAt: number | null;
}

/**
 * A source watches one controller (or one set of pins) and calls `deliver` for every event,
 * acking to the controller only what `deliver` reports stored or duplicate. Sources never
 * throw out of their I/O callbacks: link failures become LinkState 'down' and a reconnect.
 */
export interface DoorSource {
  readonly name: string;
  start(deliver: Deliver): Promise<void>;
  /** Releases every handle (ports, sockets, timers, watchers). Idempotent. */
  stop(): Promise<void>;
  status(): SourceStatus;
}
