// HTTP Basic credentials (RFC 7617) checked against the same identities as MQTT.
import type { IncomingMessage } from 'node:http';
import type { IdentityStore, VerifyResult } from './identities.js';

export function basicCredentials(header: string | undefined): { username: string; password: string } | null {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '');
  if (!m) return null;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 1 ? null : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

export type HttpAuthResult = VerifyResult | { ok: false; reason: 'anonymous' };

export async function authenticateRequest(identities: IdentityStore, req: IncomingMessage): Promise<HttpAuthResult> {
  const c = basicCredentials(req.headers.authorization);
  if (!c) return { ok: false, reason: 'anonymous' };
  return identities.verify(c.username, c.password);
}
