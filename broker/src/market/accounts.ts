// Console accounts (operators and merchants): scrypt password hashes, opaque session tokens
// stored only as their SHA-256, and a lockout after repeated failures. API.md "Auth".
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DECOY_HASH, hashSecret, verifySecret } from '../auth/secret.js';
import type { BrokerConfig } from '../config/schema.js';
import { type StateDb, violatedConstraint } from '../db/state-db.js';
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
    readonly db: StateDb,
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
    const merchantId = a.merchant ? newId('m') : null;
    try {
      await this.db.tx(async (q) => {
        if (a.merchant) await q.run('INSERT INTO merchants (id, name, lat, lon, created_at) VALUES (?, ?, ?, ?, ?)', [merchantId, a.merchant.name, a.merchant.lat, a.merchant.lon, at]);
        await q.run('INSERT INTO accounts (id, email, name, role, merchant_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [id, normalEmail(a.email), a.name, a.role, merchantId, hash, at]);
      });
    } catch (err) {
      if (violatedConstraint(err) === 'unique') throw new MarketError('exists', `an account with email ${a.email} exists`, 'body.email');
      throw err;
    }
    return (await this.get(id))!;
  }

  async get(id: string): Promise<Account | null> {
    const r = await this.db.get<Row>('SELECT * FROM accounts WHERE id = ?', [id]);
    return r ? toAccount(r) : null;
  }

  async byEmail(email: string): Promise<Account | null> {
    const r = await this.#byEmail(email);
    return r ? toAccount(r) : null;
  }

  /** By creation, then id; `after` is the last id of the previous page. */
  async list(limit: number, after?: string): Promise<Account[]> {
    const rows = after
      ? await this.db.all<Row>('SELECT * FROM accounts WHERE (created_at, id) > ((SELECT created_at FROM accounts WHERE id = ?), ?) ORDER BY created_at, id LIMIT ?', [after, after, limit])
      : await this.db.all<Row>('SELECT * FROM accounts ORDER BY created_at, id LIMIT ?', [limit]);
    return rows.map(toAccount);
  }

  async merchant(id: string): Promise<Merchant | null> {
    return (await this.db.get<Merchant>('SELECT id, name, lat, lon FROM merchants WHERE id = ?', [id])) ?? null;
  }

  async update(id: string, patch: unknown): Promise<Account> {
    const p = AccountPatchSchema.parse(patch);
    const current = await this.get(id);
    if (!current) throw new MarketError('not-found', `no account ${id}`);
    const at = this.#now().toISOString();
    await this.db.tx(async (q) => {
      if (p.name !== undefined) await q.run('UPDATE accounts SET name = ? WHERE id = ?', [p.name, id]);
      if (p.disabled === true) {
        // Conditional, so a second disable keeps the first time; signed out everywhere at once.
        await q.run('UPDATE accounts SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL', [at, id]);
        await q.run('DELETE FROM web_sessions WHERE account_id = ?', [id]);
      }
      if (p.disabled === false) await q.run('UPDATE accounts SET disabled_at = NULL, failed_logins = 0, locked_until_ms = 0 WHERE id = ?', [id]);
    });
    return (await this.get(id))!;
  }

  async login(email: string, password: string): Promise<LoginResult> {
    const r = await this.#byEmail(email);
    const nowMs = this.#now().getTime();
    // Unknown emails cost a hash too, so timing does not tell which accounts exist.
    const ok = await verifySecret(password, r?.password_hash ?? DECOY_HASH);
    if (!r) return { ok: false, reason: 'bad-credentials' };
    if (r.locked_until_ms > nowMs) return { ok: false, reason: 'locked', retryAfterS: Math.ceil((r.locked_until_ms - nowMs) / 1000) };
    if (!ok) {
      // One statement counts the failure and locks at the limit, so parallel guesses all count
      // (on PostgreSQL too), and one arriving after the lock cannot lift it.
      const after = await this.db.get<{ locked_until_ms: number }>(
        `UPDATE accounts SET failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END,
           locked_until_ms = CASE WHEN failed_logins + 1 >= ? THEN CAST(? AS BIGINT) ELSE 0 END
         WHERE id = ? AND locked_until_ms <= ? RETURNING locked_until_ms`,
        [this.o.maxFailures, this.o.maxFailures, nowMs + this.o.lockMs, r.id, nowMs],
      );
      if (!after) return { ok: false, reason: 'locked', retryAfterS: Math.ceil(this.o.lockMs / 1000) };
      return Number(after.locked_until_ms) > nowMs ? { ok: false, reason: 'locked', retryAfterS: Math.ceil(this.o.lockMs / 1000) } : { ok: false, reason: 'bad-credentials' };
    }
    if (r.disabled_at !== null) return { ok: false, reason: 'disabled' };
    const token = randomBytes(32).toString('base64url');
    const expiresMs = nowMs + this.o.sessionTtlMs;
    await this.db.tx(async (q) => {
      await q.run('UPDATE accounts SET failed_logins = 0 WHERE id = ?', [r.id]);
      await q.run('DELETE FROM web_sessions WHERE expires_ms <= ?', [nowMs]);
      await q.run('INSERT INTO web_sessions (token_sha256, account_id, created_at, expires_ms) VALUES (?, ?, ?, ?)', [sha256(token), r.id, new Date(nowMs).toISOString(), expiresMs]);
    });
    return { ok: true, token, expiresAt: new Date(expiresMs).toISOString(), account: toAccount(r) };
  }

  /** The signed-in account for a token, or null (unknown, expired, or disabled). */
  async resolve(token: string): Promise<Account | null> {
    if (token.length < 20 || token.length > 100) return null;
    const r = await this.db.get<Row>(
      'SELECT a.* FROM web_sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_sha256 = ? AND s.expires_ms > ? AND a.disabled_at IS NULL',
      [sha256(token), this.#now().getTime()],
    );
    return r ? toAccount(r) : null;
  }

  async logout(token: string): Promise<void> {
    await this.db.run('DELETE FROM web_sessions WHERE token_sha256 = ?', [sha256(token)]);
  }

  /** Emails are stored lowercased (PostgreSQL has a unique index on lower(email)); lower() here matches older mixed-case SQLite rows too. */
  #byEmail(email: string): Promise<Row | undefined> {
    return this.db.get<Row>('SELECT * FROM accounts WHERE lower(email) = ?', [normalEmail(email)]);
  }
}

/** How an email is stored and looked up: case does not tell two accounts apart. */
function normalEmail(email: string): string {
  return email.trim().toLowerCase();
}
