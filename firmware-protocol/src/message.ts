// The typed messages of doorlink v1 (PROTOCOL.md §3). Times are Unix milliseconds, 0 = clock unknown.
import type { Capability, DoorState, Method, NakReason } from './constants.js';

export interface Hello {
  type: 'hello';
  protocolVersion: number;
  doorCount: number;
  capabilities: Capability[];
  ringCapacity: number;
  /** Highest event sequence number the controller has assigned (0 = none yet). */
  lastSeq: number;
  controllerId: string;
  firmware: string;
}

export interface Unlock {
  type: 'unlock';
  seq: number;
  time: number;
  door: number;
  method: Method;
  granted: boolean;
  /** Controller's reason code (PROTOCOL.md §3.3), 0 when granted. */
  reason: number;
  /** Raw credential bytes. Never store, log or send these: pseudonymise on arrival. */
  credential: Uint8Array;
}

export interface DoorStateChange {
  type: 'door-state';
  seq: number;
  time: number;
  door: number;
  state: DoorState;
}

export interface Heartbeat {
  type: 'heartbeat';
  time: number;
  lastSeq: number;
  /** Events in the controller's ring not yet acked. */
  pending: number;
  /** Events overwritten in the ring before they were acked, since controller boot. */
  dropped: number;
}

export interface AgentHello {
  type: 'agent-hello';
  protocolVersion: number;
}

export interface Ack {
  type: 'ack';
  seq: number;
}

export interface Nak {
  type: 'nak';
  seq: number;
  reason: NakReason;
}

export interface TimeSet {
  type: 'time-set';
  time: number;
}

export type Message = Hello | Unlock | DoorStateChange | Heartbeat | AgentHello | Ack | Nak | TimeSet;
/** Messages that carry an event sequence number and must be acked (PROTOCOL.md §4). */
export type DoorEventMessage = Unlock | DoorStateChange;

export function isEvent(m: Message): m is DoorEventMessage {
  return m.type === 'unlock' || m.type === 'door-state';
}
