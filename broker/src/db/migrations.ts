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
  // 3: the marketplace — merchants and console accounts, sites with their inventory, slots and
  // bookings (capacity enforced by a CHECK, so no code path can oversell), uploaded creatives.
  `CREATE TABLE merchants (
     id         TEXT PRIMARY KEY,
     name       TEXT NOT NULL,
     lat        REAL NOT NULL,
     lon        REAL NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE accounts (
     id              TEXT PRIMARY KEY,
     email           TEXT NOT NULL UNIQUE COLLATE NOCASE,
     name            TEXT NOT NULL,
     role            TEXT NOT NULL CHECK (role IN ('operator', 'merchant')),
     merchant_id     TEXT REFERENCES merchants (id),
     password_hash   TEXT NOT NULL,
     created_at      TEXT NOT NULL,
     disabled_at     TEXT,
     failed_logins   INTEGER NOT NULL DEFAULT 0,
     locked_until_ms INTEGER NOT NULL DEFAULT 0,
     CHECK ((role = 'merchant') = (merchant_id IS NOT NULL))
   );
   CREATE TABLE web_sessions (
     token_sha256 TEXT PRIMARY KEY,
     account_id   TEXT NOT NULL REFERENCES accounts (id),
     created_at   TEXT NOT NULL,
     expires_ms   INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX web_sessions_account ON web_sessions (account_id);
   CREATE TABLE sites (
     id             TEXT PRIMARY KEY,
     name           TEXT NOT NULL,
     lat            REAL NOT NULL,
     lon            REAL NOT NULL,
     timezone       TEXT NOT NULL,
     doors          TEXT NOT NULL,
     capacity_units INTEGER NOT NULL CHECK (capacity_units BETWEEN 1 AND 100),
     prices         TEXT NOT NULL,
     screen_profile TEXT NOT NULL,
     profile_hours  TEXT,
     created_at     TEXT NOT NULL,
     updated_at     TEXT NOT NULL
   );
   CREATE TABLE market_creatives (
     id              TEXT PRIMARY KEY,
     merchant_id     TEXT NOT NULL REFERENCES merchants (id),
     name            TEXT NOT NULL,
     original_sha256 TEXT NOT NULL,
     bytes           INTEGER NOT NULL,
     status          TEXT NOT NULL CHECK (status IN ('processing', 'ready', 'rejected')),
     reason          TEXT,
     duration_ms     INTEGER,
     width           INTEGER,
     height          INTEGER,
     codec           TEXT,
     renditions      TEXT NOT NULL DEFAULT '[]',
     preview         TEXT,
     created_at      TEXT NOT NULL,
     updated_at      TEXT NOT NULL
   );
   CREATE INDEX market_creatives_merchant ON market_creatives (merchant_id, created_at);
   CREATE TABLE market_campaigns (
     id           TEXT PRIMARY KEY,
     merchant_id  TEXT NOT NULL REFERENCES merchants (id),
     name         TEXT NOT NULL,
     status       TEXT NOT NULL CHECK (status IN ('booked', 'cancelled')),
     spec         TEXT NOT NULL,
     price_cents  INTEGER NOT NULL CHECK (price_cents >= 0),
     created_at   TEXT NOT NULL,
     cancelled_at TEXT
   );
   CREATE INDEX market_campaigns_merchant ON market_campaigns (merchant_id, created_at);
   CREATE TABLE slots (
     site           TEXT NOT NULL REFERENCES sites (id),
     date           TEXT NOT NULL,
     daypart        TEXT NOT NULL,
     capacity_units INTEGER NOT NULL,
     used_units     INTEGER NOT NULL DEFAULT 0,
     CHECK (used_units >= 0 AND used_units <= capacity_units),
     PRIMARY KEY (site, date, daypart)
   ) WITHOUT ROWID;
   CREATE TABLE bookings (
     campaign_id TEXT NOT NULL REFERENCES market_campaigns (id),
     site        TEXT NOT NULL,
     date        TEXT NOT NULL,
     daypart     TEXT NOT NULL,
     units       INTEGER NOT NULL CHECK (units >= 1),
     price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
     released_at TEXT,
     PRIMARY KEY (campaign_id, site, date, daypart)
   ) WITHOUT ROWID;
   CREATE INDEX bookings_slot ON bookings (site, date, daypart);`,
  // 4: the node whose workDir holds a processing creative's original (creatives/uploads.ts), so a
  // node starting resumes its own uploads and leaves other nodes' alone. NULL: before this column.
  `ALTER TABLE market_creatives ADD COLUMN owner TEXT;`,
];
