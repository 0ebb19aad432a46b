// Credential → resident pseudonym: HMAC-SHA-256 under the site key, domain-separated and
// truncated to 128 bits, prefixed with the key id. The raw credential is never kept.
import { createHmac } from 'node:crypto';
import type { SiteKey } from './keys.js';

const DOMAIN = Buffer.from('doorcast/v1/resident\0');

/** `k1.` + 22 base64url chars. Empty credentials (exit button, GPIO) have no pseudonym. */
export function pseudonymise(key: SiteKey, credential: Uint8Array): string | null {
  if (credential.length === 0) return null;
  const mac = createHmac('sha256', key.secret).update(DOMAIN).update(credential).digest();
  return `${key.id}.${mac.subarray(0, 16).toString('base64url')}`;
}
