// Schema of the broker state database; one entry per version, never edited once shipped.
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE identities (
     username    TEXT PRIMARY KEY,
     kind        TEXT NOT NULL CHECK (kind IN ('device', 'operator')),
     site        TEXT,
     device      TEXT,
     name        TEXT,
     secret_hash TEXT NOT NULL,
     generation  INTEGER NOT NULL DEFAULT 1,
     created_at  TEXT NOT NULL,
     revoked_at  TEXT
   );
   CREATE TABLE devices (
     site                  TEXT NOT NULL,
     device                TEXT NOT NULL,
     created_at            TEXT NOT NULL,
     online                INTEGER NOT NULL DEFAULT 0,
     connections           INTEGER NOT NULL DEFAULT 0,
     last_seen             TEXT,
     agent_version         TEXT,
     manifest_version      INTEGER,
     outbox_depth          INTEGER,
     oldest_unsynced_age_s REAL,
     boot_id               TEXT,
     state_ts              TEXT,
     PRIMARY KEY (site, device)
   );
   CREATE TABLE campaigns (
     id         TEXT PRIMARY KEY,
     site       TEXT NOT NULL,
     body       TEXT NOT NULL,
     creatives  TEXT NOT NULL,
     active     INTEGER NOT NULL DEFAULT 1,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE site_settings (
     site          TEXT PRIMARY KEY,
     timezone      TEXT,
     segment_rules TEXT NOT NULL DEFAULT '[]',
     consent       TEXT NOT NULL DEFAULT '[]',
     opt_outs      TEXT NOT NULL DEFAULT '[]',
     quiet_hours   TEXT NOT NULL DEFAULT '[]',
     updated_at    TEXT NOT NULL
   );
   CREATE TABLE manifests (
     site           TEXT NOT NULL,
     device         TEXT NOT NULL,
     version        INTEGER NOT NULL,
     content_sha256 TEXT NOT NULL,
     envelope       TEXT NOT NULL,
     issued_at      TEXT NOT NULL,
     PRIMARY KEY (site, device)
   );`,
  // 2: one-time enrolment codes (only their hash is kept) and per-site pseudonymisation keys.
  `CREATE TABLE enrolments (
     code_sha256 TEXT PRIMARY KEY,
     site        TEXT NOT NULL,
     device      TEXT NOT NULL,
     created_at  TEXT NOT NULL,
     expires_ms  INTEGER NOT NULL,
     used_at     TEXT
   ) WITHOUT ROWID;
   CREATE TABLE site_keys (
     site       TEXT NOT NULL,
     key_id     TEXT NOT NULL,
     secret     TEXT NOT NULL,
     created_at TEXT NOT NULL,
     current    INTEGER NOT NULL DEFAULT 1,
     PRIMARY KEY (site, key_id)
   ) WITHOUT ROWID;`,
];
