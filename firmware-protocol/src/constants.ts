// doorlink v1 constants. Every number here is normative: see PROTOCOL.md §2–§4.

/** Start of message (PROTOCOL.md §2.1). 0xD5 = 1101 0101: alternating bits, rare in ASCII noise. */
export const SOM = 0xd5;
/** The one protocol version this codec speaks (PROTOCOL.md §2.2). */
export const PROTOCOL_VERSION = 1;
/** SOM, VER, LEN(2), TYPE, HCS. */
export const HEADER_LENGTH = 6;
export const CRC_LENGTH = 2;
export const MIN_FRAME_LENGTH = HEADER_LENGTH + CRC_LENGTH;
/** Largest frame a conforming peer may send, SOM to CRC inclusive (PROTOCOL.md §2.4). */
export const MAX_FRAME_LENGTH = 512;
export const MAX_PAYLOAD_LENGTH = MAX_FRAME_LENGTH - MIN_FRAME_LENGTH;
export const MAX_CREDENTIAL_LENGTH = 64;
export const MAX_TEXT_LENGTH = 32;
export const MAX_DOORS = 16;

/** Message type codes (PROTOCOL.md §3). 0x0_/0x1_ flow controller→agent, 0x8_ agent→controller. */
export const MessageCode = {
  hello: 0x01,
  unlock: 0x10,
  'door-state': 0x11,
  heartbeat: 0x12,
  'agent-hello': 0x80,
  ack: 0x81,
  nak: 0x82,
  'time-set': 0x83,
} as const;
export type MessageKind = keyof typeof MessageCode;

export const METHODS = ['card', 'qr', 'face', 'pin', 'remote', 'exit-button'] as const;
export type Method = (typeof METHODS)[number];
/** Wire code of METHODS[i] is i + 1; 0 is reserved. */

export const DOOR_STATES = ['opened', 'closed', 'held-open', 'forced-open'] as const;
export type DoorState = (typeof DOOR_STATES)[number];

export const NAK_REASONS = ['storage-unavailable', 'rejected'] as const;
export type NakReason = (typeof NAK_REASONS)[number];

/** Capability bits of HELLO, bit i = CAPABILITIES[i]. */
export const CAPABILITIES = ['card', 'qr', 'face', 'pin', 'remote', 'exit-button', 'door-sensor', 'time-set'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Timing defaults (PROTOCOL.md §5). */
export const Timing = {
  /** Controller retransmits an unacked event after this long, doubling to retransmitMaxMs. */
  retransmitMs: 1_000,
  retransmitMaxMs: 8_000,
  /** Controller sends HEARTBEAT at least this often while idle. */
  heartbeatMs: 5_000,
  /** A receiver abandons a partial frame after this much silence. */
  interByteTimeoutMs: 250,
  /** Unacked events a controller may have on the wire at once. */
  window: 32,
} as const;
