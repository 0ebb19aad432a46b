// Device and operator credentials. Only scrypt hashes are stored; the secret is returned once,
// at creation or rotation, and never again.
import type { StateDb } from '../db/state-db.js';
import { DECOY_HASH, hashSecret, newSecret, verifySecret } from './secret.js';
import { deviceUsername, type Identity, operatorUsername } from './usernames.js';

export class IdentityError extends Error {
  override readonly name = 'IdentityError';
  constructor(
    readonly code: 'exists' | 'unknown' | 'revoked',
    readonly username: string,
    message: string,
  ) {
    super(`${username}: ${message}`);
  }
}

export interface IdentityRecord {
  identity: Identity;
  generation: number;
  createdAt: string;
  revokedAt: string | null;
}

export type VerifyResult = { ok: true; identity: Identity; generation: number } | { ok: false; reason: 'bad-credentials' | 'revoked' };

interface Row {
  username: string;
  kind: 'device' | 'operator';
  site: string | null;
  device: string | null;
  name: string | null;
  secret_hash: string;
  generation: number;
  created_at: string;
  revoked_at: string | null;
}

function toRecord(r: Row): IdentityRecord {
  const identity: Identity =
    r.kind === 'device' ? { kind: 'device', username: r.username, site: r.site!, device: r.device! } : { kind: 'operator', username: r.username, name: r.name! };
  return { identity, generation: r.generation, createdAt: r.created_at, revokedAt: r.revoked_at };
}

export class IdentityStore {
  constructor(
    readonly db: StateDb,
    readonly now: () => Date = () => new Date(),
  ) {}

  async get(username: string): Promise<IdentityRecord | null> {
    const r = await this.#row(username);
    return r ? toRecord(r) : null;
  }

  /**
   * Creates a device credential and returns its secret (the only time it exists in clear).
   * A revoked device may be added again: that re-provisions it with a new secret.
   */
  async addDevice(site: string, device: string): Promise<{ identity: Identity; secret: string }> {
    return this.#add(deviceUsername(site, device), { kind: 'device', site, device, name: null });
  }

  async addOperator(name: string): Promise<{ identity: Identity; secret: string }> {
    return this.#add(operatorUsername(name), { kind: 'operator', site: null, device: null, name });
  }

  async #add(username: string, f: { kind: Identity['kind']; site: string | null; device: string | null; name: string | null }) {
    const secret = newSecret();
    const hash = await hashSecret(secret);
    // Conditional statements, so two nodes adding one device at once cannot both succeed.
    const inserted = await this.db.run(
      'INSERT INTO identities (username, kind, site, device, name, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING',
      [username, f.kind, f.site, f.device, f.name, hash, this.now().toISOString()],
    );
    if (inserted.changes === 0) {
      const reissued = await this.db.run('UPDATE identities SET secret_hash = ?, generation = generation + 1, revoked_at = NULL WHERE username = ? AND revoked_at IS NOT NULL', [hash, username]);
      if (reissued.changes === 0) throw new IdentityError('exists', username, 'already exists; use rotate for a new secret');
    }
    return { identity: toRecord((await this.#row(username))!).identity, secret };
  }

  /** A new secret; the old one stops working at once and its connections are closed. */
  async rotate(username: string): Promise<{ identity: Identity; secret: string }> {
    const existing = await this.#row(username);
    if (!existing) throw new IdentityError('unknown', username, 'no such identity');
    if (existing.revoked_at !== null) throw new IdentityError('revoked', username, 'revoked; add it again to re-provision');
    const secret = newSecret();
    const done = await this.db.run('UPDATE identities SET secret_hash = ?, generation = generation + 1 WHERE username = ? AND revoked_at IS NULL', [await hashSecret(secret), username]);
    if (done.changes === 0) throw new IdentityError('revoked', username, 'revoked; add it again to re-provision');
    return { identity: toRecord(existing).identity, secret };
  }

  async revoke(username: string): Promise<IdentityRecord> {
    const existing = await this.#row(username);
    if (!existing) throw new IdentityError('unknown', username, 'no such identity');
    await this.db.run('UPDATE identities SET revoked_at = ?, generation = generation + 1 WHERE username = ? AND revoked_at IS NULL', [this.now().toISOString(), username]);
    return toRecord((await this.#row(username))!);
  }

  async list(kind: Identity['kind']): Promise<IdentityRecord[]> {
    return (await this.db.all<Row>('SELECT * FROM identities WHERE kind = ? ORDER BY username', [kind])).map(toRecord);
  }

  /** Checks a username and secret. Unknown usernames cost the same scrypt as known ones. */
  async verify(username: string, secret: string): Promise<VerifyResult> {
    const row = await this.#row(username);
    const ok = await verifySecret(secret, row?.secret_hash ?? DECOY_HASH);
    if (!row || !ok) return { ok: false, reason: 'bad-credentials' };
    // Revocation is told only to whoever holds the right secret.
    if (row.revoked_at !== null) return { ok: false, reason: 'revoked' };
    return { ok: true, identity: toRecord(row).identity, generation: row.generation };
  }

  #row(username: string): Promise<Row | undefined> {
    return this.db.get<Row>('SELECT * FROM identities WHERE username = ?', [username]);
  }
}
