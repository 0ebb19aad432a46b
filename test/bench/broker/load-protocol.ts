// What the bench and its load-generator processes say to each other over the IPC channel.

export interface Cred {
  site: string;
  device: string;
  username: string;
  password: string;
}

/** Client-side tallies of one load generator since it started. */
export interface Counts {
  /** Device clients currently connected. */
  connected: number;
  /** Impressions in batches acked `committed` with exactly the batch's seqs. */
  acked: number;
  batches: number;
  /** Acks that were rejected or did not cover the batch. */
  badAcks: number;
  /** Batches with no ack within the ack timeout. */
  ackTimeouts: number;
  /** Ingest: publish → application ack, per batch, over the whole ingest run (ms). */
  ackLatency: { p50: number; p99: number; max: number; n: number };
  /** Raw path: messages received by subscribers. */
  delivered: number;
  /** Raw path: QoS 1 publishes completed (PUBACK received). */
  published: number;
  errors: string[];
}

export type Request =
  /** Connects devices as the agent does (3.1.1, clean session false, own down topics). */
  | { op: 'connect'; group: string; url: string; devices: Cred[]; concurrency: number }
  /** Ends the connections of a group past its first `keep`. */
  | { op: 'trim'; group: string; keep: number }
  /**
   * The first `count` devices of a group publish batches, one in flight each, until stopped;
   * with `intervalMs`, paced: each starts a batch every intervalMs (from a random offset), or at
   * its ack if that comes later.
   */
  | { op: 'ingest-start'; group: string; count: number; records: number; maxSeconds: number; intervalMs?: number }
  | { op: 'ingest-stop' }
  /** Raw path: each subscriber subscribes (QoS 1) to `topics[i]`. */
  | { op: 'raw-subscribe'; url: string; subscribers: Cred[]; topics: string[] }
  /** Raw path: publisher i publishes `payloadBytes` at QoS 1 to topics[i], `window` in flight. */
  | { op: 'raw-publish-start'; url: string; publishers: { username: string; password: string; clientId: string }[]; topics: string[]; window: number; payloadBytes: number; maxSeconds: number }
  | { op: 'raw-stop' }
  | { op: 'counts' };

export type Reply = { id: number; ok: true; counts: Counts; ms: number } | { id: number; ok: false; error: string };
