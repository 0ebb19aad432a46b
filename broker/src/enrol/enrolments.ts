// One-time enrolment codes: an operator creates one for a site and device, an installer types
// it at the gate, the box exchanges it once for its credentials. Only a hash is stored; a code
// is single-use and expires. And the per-site pseudonymisation key the box needs.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { Db } from '../db/database.js';

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

export class Enrolments {
  constructor(
    readonly db: Db,
    readonly now: () => Date = () => new Date(),
  ) {}

  /** A new code for `site`/`device`, valid for `ttlMs`. Returned once, in clear. */
  create(site: string, device: string, ttlMs: number): { code: string; expiresAt: string } {
    const raw = Array.from({ length: 15 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    const code = `${raw.slice(0, 5)}-${raw.slice(5, 10)}-${raw.slice(10)}`;
    const now = this.now();
    const expires = now.getTime() + ttlMs;
    this.db.prepare('INSERT INTO enrolments (code_sha256, site, device, created_at, expires_ms) VALUES (?, ?, ?, ?, ?)').run(hash(code), site, device, now.toISOString(), expires);
    return { code, expiresAt: new Date(expires).toISOString() };
  }

  /** Marks the code used and returns its device, atomically; throws EnrolError. */
  consume(code: string): { site: string; device: string } {
    const h = hash(code);
    return this.db.transaction(() => {
      const r = this.db.prepare('SELECT site, device, expires_ms, used_at FROM enrolments WHERE code_sha256 = ?').get(h) as { site: string; device: string; expires_ms: number; used_at: string | null } | undefined;
      if (!r) throw new EnrolError('unknown');
      if (r.used_at) throw new EnrolError('used');
      if (r.expires_ms <= this.now().getTime()) throw new EnrolError('expired');
      this.db.prepare('UPDATE enrolments SET used_at = ? WHERE code_sha256 = ?').run(this.now().toISOString(), h);
      return { site: r.site, device: r.device };
    }).immediate();
  }

  /** The site's key file (the agent's format), creating the site's first key when needed. */
  siteKey(site: string): SiteKeyFile {
    return this.db.transaction(() => {
      let rows = this.db.prepare('SELECT key_id, secret, created_at, current FROM site_keys WHERE site = ? ORDER BY created_at').all(site) as { key_id: string; secret: string; created_at: string; current: number }[];
      if (rows.length === 0) {
        const createdAt = this.now().toISOString();
        this.db.prepare('INSERT INTO site_keys (site, key_id, secret, created_at, current) VALUES (?, ?, ?, ?, 1)').run(site, 'k1', randomBytes(32).toString('base64'), createdAt);
        rows = this.db.prepare('SELECT key_id, secret, created_at, current FROM site_keys WHERE site = ?').all(site) as typeof rows;
      }
      const current = rows.find((r) => r.current === 1) ?? rows[rows.length - 1]!;
      return { version: 1 as const, current: current.key_id, keys: rows.map((r) => ({ id: r.key_id, secret: r.secret, createdAt: r.created_at })) };
    }).immediate();
  }
}
