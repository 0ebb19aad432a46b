// Forward-only schema migrations, tracked in PRAGMA user_version. Each runs in a transaction.
// Never edit a shipped migration: add the next one.
export const MIGRATIONS: readonly string[] = [
  // 1: the first schema.
  `
  CREATE TABLE door_events (
    id INTEGER PRIMARY KEY,
    controller_id TEXT NOT NULL,
    seq INTEGER,
    source TEXT NOT NULL,
    door TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('unlock', 'door-state')),
    method TEXT,
    granted INTEGER,
    reason INTEGER,
    state TEXT,
    pseudonym TEXT,
    key_id TEXT,
    controller_time_ms INTEGER NOT NULL,
    wall_time_ms INTEGER NOT NULL,
    boot_id TEXT NOT NULL,
    mono_ms INTEGER NOT NULL,
    clock_synced INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX door_events_identity ON door_events (controller_id, seq) WHERE seq IS NOT NULL;
  CREATE TABLE door_event_rollups (
    hour_ms INTEGER NOT NULL,
    door TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (hour_ms, door, kind, detail)
  ) WITHOUT ROWID;
  CREATE TABLE rollup_log (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    oldest_ms INTEGER NOT NULL,
    newest_ms INTEGER NOT NULL,
    reason TEXT NOT NULL
  );
  CREATE TABLE impressions_outbox (
    device_seq INTEGER PRIMARY KEY AUTOINCREMENT,
    impression_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    wall_time_ms INTEGER NOT NULL,
    boot_id TEXT NOT NULL,
    mono_ms INTEGER NOT NULL,
    clock_synced INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
  );
  CREATE TABLE resident_counters (
    pseudonym TEXT NOT NULL,
    campaign TEXT NOT NULL,
    day TEXT NOT NULL,
    plays INTEGER NOT NULL DEFAULT 0,
    completions INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (pseudonym, campaign, day)
  ) WITHOUT ROWID;
  CREATE TABLE manifest_cache (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    signature TEXT NOT NULL,
    key_id TEXT NOT NULL,
    applied_ms INTEGER NOT NULL
  );
  CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE boots (
    boot_id TEXT PRIMARY KEY,
    first_seen_ms INTEGER NOT NULL,
    synced_ms INTEGER,
    offset_ms INTEGER
  ) WITHOUT ROWID;
  `,
  // 2: time index for roll-ups, negative feedback, and residents' own passage history
  // (bounded, for on-device segments).
  `
  CREATE INDEX door_events_wall ON door_events (wall_time_ms);
  CREATE TABLE resident_feedback (
    pseudonym TEXT NOT NULL,
    campaign TEXT NOT NULL,
    negative INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (pseudonym, campaign)
  ) WITHOUT ROWID;
  -- Highest seq rolled up per controller: dedupe must outlive the rows it was based on.
  CREATE TABLE seq_floor (controller_id TEXT PRIMARY KEY, max_seq INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE passages (
    pseudonym TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    door TEXT NOT NULL,
    PRIMARY KEY (pseudonym, at_ms)
  ) WITHOUT ROWID;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
