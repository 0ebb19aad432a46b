// Console accounts (operators and merchants): scrypt password hashes, opaque session tokens
// stored only as their SHA-256, and a lockout after repeated failures. API.md "Auth".
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DECOY_HASH, hashSecret, verifySecret } from '../auth/secret.js';
import type { BrokerConfig } from '../config/schema.js';
import type { Db } from '../db/database.js';
import { MarketError } from './errors.js';

export const RoleSchema = z.enum(['operator', 'merchant']);
export type Role = z.infer<typeof RoleSchema>;

const Name = z.string().trim().min(1).max(100);
export const LatSchema = z.number().min(-90).max(90);
export const LonSchema = z.number().min(-180).max(180);
export const MerchantInputSchema = z.strictObject({ name: Name, lat: LatSchema, lon: LonSchema });

export const NewAccountSchema = z
  .strictObject({
    email: z.email().max(254),
    name: Name,
    role: RoleSchema,
    password: z.string().min(10, 'password: at least 10 characters').max(200),
    merchant: MerchantInputSchema.optional(),
  })
  .superRefine((a, ctx) => {
    if (a.role === 'merchant' && !a.merchant) ctx.addIssue({ code: 'custom', path: ['merchant'], message: 'a merchant account needs its shop: {name, lat, lon}' });
    if (a.role === 'operator' && a.merchant) ctx.addIssue({ code: 'custom', path: ['merchant'], message: 'an operator account has no shop' });
  });
export type NewAccount = z.infer<typeof NewAccountSchema>;

export const AccountPatchSchema = z.strictObject({ name: Name.optional(), disabled: z.boolean().optional() });

export const AccountSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: RoleSchema,
  merchantId: z.string().nullable(),
  disabled: z.boolean(),
  createdAt: z.string(),
});
export type Account = z.infer<typeof AccountSchema>;

export interface Merchant {
  id: string;
  name: string;
  lat: number;
  lon: number;
}

interface Row {
  id: string;
  email: string;
  name: string;
  role: Role;
  merchant_id: string | null;
  password_hash: string;
  created_at: string;
  disabled_at: string | null;
  failed_logins: number;
  locked_until_ms: number;
}

const toAccount = (r: Row): Account => ({ id: r.id, email: r.email, name: r.name, role: r.role, merchantId: r.merchant_id, disabled: r.disabled_at !== null, createdAt: r.created_at });
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
export const newId = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;

export type LoginResult =
  | { ok: true; token: string; expiresAt: string; account: Account }
  | { ok: false; reason: 'bad-credentials' | 'locked' | 'disabled'; retryAfterS?: number };

export interface AccountOptions {
  sessionTtlMs: number;
  /** Consecutive failures before the account is locked for `lockMs`. */
  maxFailures: number;
  lockMs: number;
  now?: () => Date;
}

/** The options `market:` in the broker config gives an AccountStore. */
export function accountOptions(c: Pick<BrokerConfig['market'], 'sessionTtlHours' | 'maxFailedLogins' | 'lockSeconds'>, now?: () => Date): AccountOptions {
  return { sessionTtlMs: c.sessionTtlHours * 3_600_000, maxFailures: c.maxFailedLogins, lockMs: c.lockSeconds * 1000, ...(now ? { now } : {}) };
}

export class AccountStore {
  readonly #now: () => Date;

  constructor(
    readonly db: Db,
    readonly o: AccountOptions,
  ) {
    this.#now = o.now ?? (() => new Date());
  }

  /** Validates (ZodError with paths) and creates; MarketError('exists') for a taken email. */
  async create(input: unknown): Promise<Account> {
    const a = NewAccountSchema.parse(input);
    const hash = await hashSecret(a.password);
    const at = this.#now().toISOString();
    const id = newId('acc');
    try {
      this.db.transaction(() => {
        let merchantId: string | null = null;
        if (a.merchant) {
          merchantId = newId('m');
          this.db.prepare('INSERT INTO merchants (id, name, lat, lon, created_at) VALUES (?, ?, ?, ?, ?)').run(merchantId, a.merchant.name, a.merchant.lat, a.merchant.lon, at);
        }
        this.db
          .prepare('INSERT INTO accounts (id, email, name, role, merchant_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(id, a.email, a.name, a.role, merchantId, hash, at);
      }).immediate();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new MarketError('exists', `an account with email ${a.email} exists`, 'body.email');
      throw err;
    }
    return this.get(id)!;
  }

  get(id: string): Account | null {
    const r = this.db.prepare<[string], Row>('SELECT * FROM accounts WHERE id = ?').get(id);
    return r ? toAccount(r) : null;
  }

  byEmail(email: string): Account | null {
    const r = this.db.prepare<[string], Row>('SELECT * FROM accounts WHERE email = ?').get(email);
    return r ? toAccount(r) : null;
  }

  /** By creation, then id; `after` is the last id of the previous page. */
  list(limit: number, after?: string): Account[] {
    const rows = after
      ? this.db.prepare<[string, string, number], Row>('SELECT * FROM accounts WHERE (created_at, id) > ((SELECT created_at FROM accounts WHERE id = ?), ?) ORDER BY created_at, id LIMIT ?').all(after, after, limit)
      : this.db.prepare<[number], Row>('SELECT * FROM accounts ORDER BY created_at, id LIMIT ?').all(limit);
    return rows.map(toAccount);
  }

  merchant(id: string): Merchant | null {
    return this.db.prepare<[string], Merchant>('SELECT id, name, lat, lon FROM merchants WHERE id = ?').get(id) ?? null;
  }

  update(id: string, patch: unknown): Account {
    const p = AccountPatchSchema.parse(patch);
    const current = this.get(id);
    if (!current) throw new MarketError('not-found', `no account ${id}`);
    this.db.transaction(() => {
      if (p.name !== undefined) this.db.prepare('UPDATE accounts SET name = ? WHERE id = ?').run(p.name, id);
      if (p.disabled === true && !current.disabled) {
        this.db.prepare('UPDATE accounts SET disabled_at = ? WHERE id = ?').run(this.#now().toISOString(), id);
        // A disabled account is signed out everywhere at once.
        this.db.prepare('DELETE FROM web_sessions WHERE account_id = ?').run(id);
      }
      if (p.disabled === false) this.db.prepare('UPDATE accounts SET disabled_at = NULL, failed_logins = 0, locked_until_ms = 0 WHERE id = ?').run(id);
    })();
    return this.get(id)!;
  }

  async login(email: string, password: string): Promise<LoginResult> {
    const r = this.db.prepare<[string], Row>('SELECT * FROM accounts WHERE email = ?').get(email);
    const nowMs = this.#now().getTime();
    // Unknown emails cost a hash too, so timing does not tell which accounts exist.
    const ok = await verifySecret(password, r?.password_hash ?? DECOY_HASH);
    if (!r) return { ok: false, reason: 'bad-credentials' };
    if (r.locked_until_ms > nowMs) return { ok: false, reason: 'locked', retryAfterS: Math.ceil((r.locked_until_ms - nowMs) / 1000) };
    if (!ok) {
      const failures = r.failed_logins + 1;
      const lock = failures >= this.o.maxFailures;
      this.db.prepare('UPDATE accounts SET failed_logins = ?, locked_until_ms = ? WHERE id = ?').run(lock ? 0 : failures, lock ? nowMs + this.o.lockMs : 0, r.id);
      return lock ? { ok: false, reason: 'locked', retryAfterS: Math.ceil(this.o.lockMs / 1000) } : { ok: false, reason: 'bad-credentials' };
    }
    if (r.disabled_at !== null) return { ok: false, reason: 'disabled' };
    const token = randomBytes(32).toString('base64url');
    const expiresMs = nowMs + this.o.sessionTtlMs;
    this.db.transaction(() => {
      this.db.prepare('UPDATE accounts SET failed_logins = 0 WHERE id = ?').run(r.id);
      this.db.prepare('DELETE FROM web_sessions WHERE expires_ms <= ?').run(nowMs);
      this.db.prepare('INSERT INTO web_sessions (token_sha256, account_id, created_at, expires_ms) VALUES (?, ?, ?, ?)').run(sha256(token), r.id, new Date(nowMs).toISOString(), expiresMs);
    })();
    return { ok: true, token, expiresAt: new Date(expiresMs).toISOString(), account: toAccount(r) };
  }

  /** The signed-in account for a token, or null (unknown, expired, or disabled). */
  resolve(token: string): Account | null {
    if (token.length < 20 || token.length > 100) return null;
    const r = this.db
      .prepare<[string, number], Row>('SELECT a.* FROM web_sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_sha256 = ? AND s.expires_ms > ? AND a.disabled_at IS NULL')
      .get(sha256(token), this.#now().getTime());
    return r ? toAccount(r) : null;
  }

  logout(token: string): void {
    this.db.prepare('DELETE FROM web_sessions WHERE token_sha256 = ?').run(sha256(token));
  }
}
