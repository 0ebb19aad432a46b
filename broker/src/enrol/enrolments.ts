// One-time enrolment codes: an operator creates one for a site and device, an installer types
// it at the gate, the box exchanges it once for its credentials. Only a hash is stored; a code
// is single-use and expires. And the per-site pseudonymisation key the box needs.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { StateDb } from '../db/state-db.js';

// Crockford-style base32 without I, L, O, U: read aloud and typed on a phone without mistakes.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export type EnrolFailure = 'unknown' | 'expired' | 'used';

export class EnrolError extends Error {
  override readonly name = 'EnrolError';
  constructor(readonly reason: EnrolFailure) {
    super(`enrolment code ${reason}`);
  }
}

const hash = (code: string) => createHash('sha256').update(normalise(code)).digest('hex');
/** Case, spaces and dashes do not matter when typing a code. */
export const normalise = (code: string) => code.toUpperCase().replace(/[\s-]/g, '');

export interface SiteKeyFile {
  version: 1;
  current: string;
  keys: { id: string; secret: string; createdAt: string }[];
}

type KeyRow = { key_id: string; secret: string; created_at: string; current: number };

export class Enrolments {
  constructor(
    readonly db: StateDb,
    readonly now: () => Date = () => new Date(),
  ) {}

  /** A new code for `site`/`device`, valid for `ttlMs`. Returned once, in clear. */
  async create(site: string, device: string, ttlMs: number): Promise<{ code: string; expiresAt: string }> {
    const raw = Array.from({ length: 15 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    const code = `${raw.slice(0, 5)}-${raw.slice(5, 10)}-${raw.slice(10)}`;
    const now = this.now();
    const expires = now.getTime() + ttlMs;
    await this.db.run('INSERT INTO enrolments (code_sha256, site, device, created_at, expires_ms) VALUES (?, ?, ?, ?, ?)', [hash(code), site, device, now.toISOString(), expires]);
    return { code, expiresAt: new Date(expires).toISOString() };
  }

  /** Marks the code used and returns its device, atomically; throws EnrolError. */
  async consume(code: string): Promise<{ site: string; device: string }> {
    const h = hash(code);
    const now = this.now();
    // One conditional UPDATE: of two nodes consuming one code at once, exactly one gets the row.
    const taken = await this.db.get<{ site: string; device: string }>(
      'UPDATE enrolments SET used_at = ? WHERE code_sha256 = ? AND used_at IS NULL AND expires_ms > ? RETURNING site, device',
      [now.toISOString(), h, now.getTime()],
    );
    if (taken) return { site: taken.site, device: taken.device };
    const r = await this.db.get<{ used_at: string | null }>('SELECT used_at FROM enrolments WHERE code_sha256 = ?', [h]);
    throw new EnrolError(!r ? 'unknown' : r.used_at ? 'used' : 'expired');
  }

  /** The site's key file (the agent's format), creating the site's first key when needed. */
  async siteKey(site: string): Promise<SiteKeyFile> {
    const read = () => this.db.all<KeyRow>('SELECT key_id, secret, created_at, current FROM site_keys WHERE site = ? ORDER BY created_at, key_id', [site]);
    let rows = await read();
    if (rows.length === 0) {
      // Of nodes creating the first key at once, one insert wins and all read that key.
      await this.db.run('INSERT INTO site_keys (site, key_id, secret, created_at, current) VALUES (?, ?, ?, ?, 1) ON CONFLICT DO NOTHING', [
        site,
        'k1',
        randomBytes(32).toString('base64'),
        this.now().toISOString(),
      ]);
      rows = await read();
    }
    const current = rows.find((r) => r.current === 1) ?? rows[rows.length - 1]!;
    return { version: 1 as const, current: current.key_id, keys: rows.map((r) => ({ id: r.key_id, secret: r.secret, createdAt: r.created_at })) };
  }
}
