// The fleet: every provisioned device, whether it is online, when it was last seen, and what
// its agent last reported (manifest applied, outbox depth, oldest unsynced age). CLOUD-LINK.md §5.4
import type { DeviceRef, State } from '../contract.js';
import type { StateDb } from '../db/state-db.js';

export interface DeviceStatus extends DeviceRef {
  createdAt: string;
  online: boolean;
  connections: number;
  lastSeen: string | null;
  agentVersion: string | null;
  /** The manifest version the agent reports running. */
  manifestVersionApplied: number | null;
  /** The latest version the broker published for it. */
  manifestVersionPublished: number | null;
  outboxDepth: number | null;
  oldestUnsyncedAgeS: number | null;
  bootId: string | null;
  stateTs: string | null;
}

interface Row {
  site: string;
  device: string;
  created_at: string;
  online: number;
  connections: number;
  last_seen: string | null;
  agent_version: string | null;
  manifest_version: number | null;
  published_version: number | null;
  outbox_depth: number | null;
  oldest_unsynced_age_s: number | null;
  boot_id: string | null;
  state_ts: string | null;
}

const SELECT = `SELECT d.*, m.version AS published_version FROM devices d LEFT JOIN manifests m ON m.site = d.site AND m.device = d.device`;

function toStatus(r: Row): DeviceStatus {
  return {
    site: r.site,
    device: r.device,
    createdAt: r.created_at,
    online: r.online === 1,
    connections: r.connections,
    lastSeen: r.last_seen,
    agentVersion: r.agent_version,
    manifestVersionApplied: r.manifest_version,
    manifestVersionPublished: r.published_version,
    outboxDepth: r.outbox_depth,
    oldestUnsyncedAgeS: r.oldest_unsynced_age_s,
    bootId: r.boot_id,
    stateTs: r.state_ts,
  };
}

export class FleetRegistry {
  constructor(
    readonly db: StateDb,
    readonly now: () => Date = () => new Date(),
  ) {}

  async register(ref: DeviceRef): Promise<void> {
    await this.db.run('INSERT INTO devices (site, device, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [ref.site, ref.device, this.now().toISOString()]);
  }

  /** After a restart nobody is connected. */
  async resetConnections(): Promise<void> {
    await this.db.run('UPDATE devices SET connections = 0, online = 0');
  }

  async connected(ref: DeviceRef): Promise<void> {
    await this.db.run('UPDATE devices SET connections = connections + 1, online = 1, last_seen = ? WHERE site = ? AND device = ?', [this.now().toISOString(), ref.site, ref.device]);
  }

  async disconnected(ref: DeviceRef): Promise<void> {
    await this.db.run(
      `UPDATE devices SET connections = CASE WHEN connections > 1 THEN connections - 1 ELSE 0 END,
         online = CASE WHEN connections <= 1 THEN 0 ELSE online END, last_seen = ? WHERE site = ? AND device = ?`,
      [this.now().toISOString(), ref.site, ref.device],
    );
  }

  /** Applies a validated state message (the last will included). */
  async applyState(ref: DeviceRef, s: State): Promise<void> {
    await this.db.run(
      `UPDATE devices SET online = ?, last_seen = ?,
         agent_version = coalesce(?, agent_version), manifest_version = coalesce(?, manifest_version), outbox_depth = coalesce(?, outbox_depth),
         oldest_unsynced_age_s = coalesce(?, oldest_unsynced_age_s), boot_id = coalesce(?, boot_id), state_ts = coalesce(?, state_ts)
       WHERE site = ? AND device = ?`,
      [
        s.online ? 1 : 0,
        this.now().toISOString(),
        s.agentVersion ?? null,
        s.manifestVersion ?? null,
        s.outboxDepth ?? null,
        s.oldestUnsyncedAgeS ?? null,
        s.bootId ?? null,
        s.ts ?? null,
        ref.site,
        ref.device,
      ],
    );
  }

  async get(ref: DeviceRef): Promise<DeviceStatus | null> {
    const r = await this.db.get<Row>(`${SELECT} WHERE d.site = ? AND d.device = ?`, [ref.site, ref.device]);
    return r ? toStatus(r) : null;
  }

  async list(): Promise<DeviceStatus[]> {
    return (await this.db.all<Row>(`${SELECT} ORDER BY d.site, d.device`)).map(toStatus);
  }
}
