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
  // 3: roll-ups get typed columns (method, outcome) and the clock state of the hours they
  // count; rolled-up seqs are kept as exact ranges instead of a floor (a late event below
  // the floor that was never stored must not be taken for a duplicate); the roll-up log says
  // which local ids it took; oldest-first means insertion order, so the wall-time index
  // (one more page per durable insert) goes; the outbox's age comes from its own stamps.
  `
  CREATE TABLE door_event_rollups_v3 (
    hour_ms INTEGER NOT NULL,
    door TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('unlock', 'door-state')),
    method TEXT NOT NULL,
    outcome TEXT NOT NULL,
    clock_synced INTEGER NOT NULL CHECK (clock_synced IN (0, 1)),
    count INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (hour_ms, door, kind, method, outcome, clock_synced)
  ) WITHOUT ROWID;
  -- v2 detail was 'method:granted|denied' for unlocks and the state for door-state; v2 did
  -- not record the clock state, so those hours are kept as synced.
  INSERT INTO door_event_rollups_v3 (hour_ms, door, kind, method, outcome, clock_synced, count)
    SELECT hour_ms, door, kind,
      CASE kind WHEN 'unlock' THEN substr(detail, 1, instr(detail, ':') - 1) ELSE '' END,
      CASE kind WHEN 'unlock' THEN substr(detail, instr(detail, ':') + 1) ELSE detail END,
      1, count
    FROM door_event_rollups;
  DROP TABLE door_event_rollups;
  ALTER TABLE door_event_rollups_v3 RENAME TO door_event_rollups;

  CREATE TABLE rolled_seqs (
    controller_id TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL CHECK (last_seq >= first_seq),
    PRIMARY KEY (controller_id, first_seq)
  ) WITHOUT ROWID;
  -- v2 kept only the highest rolled-up seq; everything up to it counts as seen.
  INSERT INTO rolled_seqs (controller_id, first_seq, last_seq) SELECT controller_id, 1, max_seq FROM seq_floor;
  DROP TABLE seq_floor;

  ALTER TABLE rollup_log ADD COLUMN first_id INTEGER;
  ALTER TABLE rollup_log ADD COLUMN last_id INTEGER;
  DROP INDEX door_events_wall;
  ALTER TABLE impressions_outbox DROP COLUMN created_ms;
  `,
  // 4: hourly door counts for the cloud (CLOUD-LINK.md §5.2): their own outbox and sequence
  // space, and plays per door and hour, counted when each play is recorded.
  `
  CREATE TABLE door_count_outbox (
    device_seq INTEGER PRIMARY KEY AUTOINCREMENT,
    hour_ms INTEGER NOT NULL,
    door INTEGER NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (hour_ms, door)
  );
  CREATE TABLE play_hours (
    hour_ms INTEGER NOT NULL,
    door INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (hour_ms, door)
  ) WITHOUT ROWID;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
