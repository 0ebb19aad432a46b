// Sign in, sign out, who am I.
import { z } from 'zod';
import { AccountSchema } from '../../market/accounts.js';
import type { Market } from '../../market/market.js';
import { clearSessionCookie, setSessionCookie, tokenOf } from '../auth.js';
import { ApiError } from '../errors.js';
import type { RouteTable } from '../route.js';

const LoginSchema = z.strictObject({ email: z.string().min(3).max(254), password: z.string().min(1).max(200) });
const SessionSchema = z.object({ token: z.string(), expiresAt: z.string(), account: AccountSchema });

export function sessionRoutes(t: RouteTable, m: Market): void {
  t.add({ method: 'POST', url: '/api/v1/session', access: 'public', tag: 'session', summary: 'Sign in with email and password', body: LoginSchema, response: SessionSchema }, async ({ body, reply, req }) => {
    const r = await m.accounts.login(body.email, body.password);
    if (!r.ok) {
      req.log.warn({ reason: r.reason }, 'sign-in refused');
      if (r.reason === 'locked') throw new ApiError(429, 'rate-limited', `too many failed sign-ins: try again in ${r.retryAfterS} s`, undefined, { retryAfterS: r.retryAfterS }, { 'retry-after': String(r.retryAfterS) });
      if (r.reason === 'disabled') throw new ApiError(403, 'forbidden', 'this account is disabled');
      throw new ApiError(401, 'unauthenticated', 'wrong email or password');
    }
    setSessionCookie(reply, r.token, (Date.parse(r.expiresAt) - Date.now()) / 1000);
    return { token: r.token, expiresAt: r.expiresAt, account: r.account };
  });

  t.add({ method: 'DELETE', url: '/api/v1/session', access: 'signed-in', tag: 'session', summary: 'Sign out (the token stops working)', status: 204 }, async ({ req, reply }) => {
    const tok = tokenOf(req);
    if (tok) await m.accounts.logout(tok.token);
    clearSessionCookie(reply);
    return null;
  });

  t.add({ method: 'GET', url: '/api/v1/me', access: 'signed-in', tag: 'session', summary: 'The signed-in account', response: z.object({ account: AccountSchema, merchant: z.object({ id: z.string(), name: z.string(), lat: z.number(), lon: z.number() }).nullable() }) }, async ({ account }) => ({
    account,
    merchant: account.merchantId ? await m.accounts.merchant(account.merchantId) : null,
  }));
}
