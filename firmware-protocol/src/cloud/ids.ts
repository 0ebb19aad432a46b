// Identifiers shared by every cloud-link message. CLOUD-LINK.md §2.
import { z } from 'zod';

/** Site and device ids: lowercase letters, digits and '-', 1–64 chars. CLOUD-LINK.md §2.1 */
export const ID_PATTERN = /^[a-z0-9-]{1,64}$/;
export const SiteIdSchema = z.string().regex(ID_PATTERN, 'site id: 1–64 of a–z 0–9 -');
export const DeviceIdSchema = z.string().regex(ID_PATTERN, 'device id: 1–64 of a–z 0–9 -');

export function isId(s: string): boolean {
  return ID_PATTERN.test(s);
}

/** A device is named by its site and its id within the site. CLOUD-LINK.md §2.1 */
export interface DeviceRef {
  site: string;
  device: string;
}

export const UuidSchema = z.uuid();

/** Lowercase hex SHA-256 of a creative's bytes. CLOUD-LINK.md §2.3 */
export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'sha256: 64 lowercase hex chars');

/**
 * A resident pseudonym as the agent makes it: `<keyId>.<22 base64url chars>` (HMAC-SHA-256
 * truncated to 128 bits). The pattern is the guard that keeps raw identity (card numbers,
 * user ids) out of the cloud: it cannot match a decimal card number. CLOUD-LINK.md §2.2
 */
export const PseudonymSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{22}$/, 'pseudonym: <keyId>.<22 base64url chars>, never a raw credential');

/** Campaign, creative and segment names: printable, no spaces, bounded. */
export const NameSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'name: 1–128 of A–Z a–z 0–9 . _ : -');

/** UTC timestamps as ISO 8601 with a Z, e.g. 2026-11-23T00:42:29.123Z. CLOUD-LINK.md §2.4 */
export const TimestampSchema = z.iso.datetime();
