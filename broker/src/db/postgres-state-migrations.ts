// The broker state schema on PostgreSQL: db/migrations.ts table for table, in PostgreSQL's types
// (bigint for epoch milliseconds, double precision for coordinates). Entry i takes the schema
// from version i to i + 1 and is never edited once released. Versions are kept apart from the
// impression store's (state_migrations, its own advisory lock), in the same database.

import type { MigrationSet } from '../store/postgres-migrations.js';

const STATE_MIGRATION_LOCK = 0x646f_6f74;

export const PG_STATE_MIGRATIONS: readonly string[] = [
  // 1: everything of SQLite versions 1–3.
  `CREATE TABLE identities (
     username    text PRIMARY KEY,
     kind        text NOT NULL CHECK (kind IN ('device', 'operator')),
     site        text,
     device      text,
     name        text,
     secret_hash text NOT NULL,
     generation  integer NOT NULL DEFAULT 1,
     created_at  text NOT NULL,
     revoked_at  text
   );
   CREATE INDEX identities_kind ON identities (kind, username);
   CREATE TABLE devices (
     site                  text NOT NULL,
     device                text NOT NULL,
     created_at            text NOT NULL,
     online                integer NOT NULL DEFAULT 0,
     connections           integer NOT NULL DEFAULT 0,
     last_seen             text,
     agent_version         text,
     manifest_version      integer,
     outbox_depth          integer,
     oldest_unsynced_age_s double precision,
     boot_id               text,
     state_ts              text,
     PRIMARY KEY (site, device)
   );
   CREATE TABLE campaigns (
     id         text PRIMARY KEY,
     site       text NOT NULL,
     body       text NOT NULL,
     creatives  text NOT NULL,
     active     integer NOT NULL DEFAULT 1,
     updated_at text NOT NULL
   );
   CREATE INDEX campaigns_site ON campaigns (site) WHERE active = 1;
   CREATE TABLE site_settings (
     site          text PRIMARY KEY,
     timezone      text,
     segment_rules text NOT NULL DEFAULT '[]',
     consent       text NOT NULL DEFAULT '[]',
     opt_outs      text NOT NULL DEFAULT '[]',
     quiet_hours   text NOT NULL DEFAULT '[]',
     updated_at    text NOT NULL
   );
   CREATE TABLE manifests (
     site           text NOT NULL,
     device         text NOT NULL,
     version        integer NOT NULL,
     content_sha256 text NOT NULL,
     envelope       text NOT NULL,
     issued_at      text NOT NULL,
     PRIMARY KEY (site, device)
   );
   CREATE TABLE enrolments (
     code_sha256 text PRIMARY KEY,
     site        text NOT NULL,
     device      text NOT NULL,
     created_at  text NOT NULL,
     expires_ms  bigint NOT NULL,
     used_at     text
   );
   CREATE TABLE site_keys (
     site       text NOT NULL,
     key_id     text NOT NULL,
     secret     text NOT NULL,
     created_at text NOT NULL,
     current    integer NOT NULL DEFAULT 1,
     PRIMARY KEY (site, key_id)
   );
   CREATE TABLE merchants (
     id         text PRIMARY KEY,
     name       text NOT NULL,
     lat        double precision NOT NULL,
     lon        double precision NOT NULL,
     created_at text NOT NULL
   );
   CREATE TABLE accounts (
     id              text PRIMARY KEY,
     email           text NOT NULL,
     name            text NOT NULL,
     role            text NOT NULL CHECK (role IN ('operator', 'merchant')),
     merchant_id     text REFERENCES merchants (id),
     password_hash   text NOT NULL,
     created_at      text NOT NULL,
     disabled_at     text,
     failed_logins   integer NOT NULL DEFAULT 0,
     locked_until_ms bigint NOT NULL DEFAULT 0,
     CHECK ((role = 'merchant') = (merchant_id IS NOT NULL))
   );
   CREATE UNIQUE INDEX accounts_email ON accounts (lower(email));
   CREATE TABLE web_sessions (
     token_sha256 text PRIMARY KEY,
     account_id   text NOT NULL REFERENCES accounts (id),
     created_at   text NOT NULL,
     expires_ms   bigint NOT NULL
   );
   CREATE INDEX web_sessions_account ON web_sessions (account_id);
   CREATE TABLE sites (
     id             text PRIMARY KEY,
     name           text NOT NULL,
     lat            double precision NOT NULL,
     lon            double precision NOT NULL,
     timezone       text NOT NULL,
     doors          text NOT NULL,
     capacity_units integer NOT NULL CHECK (capacity_units BETWEEN 1 AND 100),
     prices         text NOT NULL,
     screen_profile text NOT NULL,
     profile_hours  text,
     created_at     text NOT NULL,
     updated_at     text NOT NULL
   );
   CREATE TABLE market_creatives (
     id              text PRIMARY KEY,
     merchant_id     text NOT NULL REFERENCES merchants (id),
     name            text NOT NULL,
     original_sha256 text NOT NULL,
     bytes           bigint NOT NULL,
     status          text NOT NULL CHECK (status IN ('processing', 'ready', 'rejected')),
     reason          text,
     duration_ms     integer,
     width           integer,
     height          integer,
     codec           text,
     renditions      text NOT NULL DEFAULT '[]',
     preview         text,
     created_at      text NOT NULL,
     updated_at      text NOT NULL
   );
   CREATE INDEX market_creatives_merchant ON market_creatives (merchant_id, created_at);
   CREATE TABLE market_campaigns (
     id           text PRIMARY KEY,
     merchant_id  text NOT NULL REFERENCES merchants (id),
     name         text NOT NULL,
     status       text NOT NULL CHECK (status IN ('booked', 'cancelled')),
     spec         text NOT NULL,
     price_cents  bigint NOT NULL CHECK (price_cents >= 0),
     created_at   text NOT NULL,
     cancelled_at text
   );
   CREATE INDEX market_campaigns_merchant ON market_campaigns (merchant_id, created_at);
   CREATE TABLE slots (
     site           text NOT NULL REFERENCES sites (id),
     date           text NOT NULL,
     daypart        text NOT NULL,
     capacity_units integer NOT NULL,
     used_units     integer NOT NULL DEFAULT 0,
     CHECK (used_units >= 0 AND used_units <= capacity_units),
     PRIMARY KEY (site, date, daypart)
   );
   CREATE TABLE bookings (
     campaign_id text NOT NULL REFERENCES market_campaigns (id),
     site        text NOT NULL,
     date        text NOT NULL,
     daypart     text NOT NULL,
     units       integer NOT NULL CHECK (units >= 1),
     price_cents bigint NOT NULL CHECK (price_cents >= 0),
     released_at text,
     PRIMARY KEY (campaign_id, site, date, daypart)
   );
   CREATE INDEX bookings_slot ON bookings (site, date, daypart);
   -- The manifest signing key every node signs with (a file in stateDir when embedded).
   CREATE TABLE signing_keys (
     id         integer PRIMARY KEY CHECK (id = 1),
     pem        text NOT NULL,
     created_at text NOT NULL
   );`,
  // 2 (PostgreSQL only: embedded creatives are files): creative bytes, shared by the nodes
  // (creatives/creative-blobs.ts). A creative exists once its creative_blobs row does; its
  // chunks are committed with it. No foreign key: chunks are written first.
  // STORAGE EXTERNAL: video does not compress, so TOAST should not try.
  `CREATE TABLE creative_blobs (
     sha256      text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
     bytes       bigint NOT NULL CHECK (bytes > 0),
     chunk_bytes integer NOT NULL CHECK (chunk_bytes > 0),
     created_at  text NOT NULL
   );
   CREATE TABLE creative_chunks (
     sha256 text NOT NULL,
     n      integer NOT NULL CHECK (n >= 0),
     data   bytea NOT NULL,
     PRIMARY KEY (sha256, n)
   );
   ALTER TABLE creative_chunks ALTER COLUMN data SET STORAGE EXTERNAL;`,
  // 3 (SQLite 4): the node holding a processing creative's original.
  `ALTER TABLE market_creatives ADD COLUMN owner text;`,
];

export const STATE_MIGRATIONS: MigrationSet = { migrations: PG_STATE_MIGRATIONS, table: 'state_migrations', lock: STATE_MIGRATION_LOCK };
