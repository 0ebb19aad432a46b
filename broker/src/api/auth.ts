// Who is calling: a bearer token or the console's session cookie (API.md "Auth").
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Account, AccountStore } from '../market/accounts.js';
import { ApiError } from './errors.js';

export const COOKIE = 'dc_session';

export function tokenOf(req: FastifyRequest): { token: string; via: 'bearer' | 'cookie' } | null {
  const h = req.headers.authorization;
  const m = h ? /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(h.trim()) : null;
  if (m) return { token: m[1]!, via: 'bearer' };
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE && v.length) return { token: v.join('='), via: 'cookie' };
  }
  return null;
}

/** The signed-in account, or ApiError 401. Cookie-borne writes must come from our own origin. */
export async function requireAccount(accounts: AccountStore, req: FastifyRequest): Promise<Account> {
  const t = tokenOf(req);
  const account = t ? await accounts.resolve(t.token) : null;
  if (!t || !account) throw new ApiError(401, 'unauthenticated', 'sign in first', undefined, undefined, { 'www-authenticate': 'Bearer realm="doorcast"' });
  if (t.via === 'cookie' && req.method !== 'GET' && req.method !== 'HEAD') {
    const origin = req.headers.origin;
    if (origin && new URL(origin).host !== req.headers.host) throw new ApiError(403, 'forbidden', 'cross-site request refused');
  }
  return account;
}

export function setSessionCookie(reply: FastifyReply, token: string, maxAgeS: number): void {
  reply.header('set-cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(maxAgeS)}`);
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.header('set-cookie', `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
}
