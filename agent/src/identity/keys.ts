// The per-site pseudonymisation key file. The cloud issues the site key at provisioning;
// rotation adds a key and makes it current, so pseudonyms after rotation cannot be linked
// to those before it (DESIGN.md rule 5).
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../state/atomic-file.js';

const KeySchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'key id: 1–32 of A–Z a–z 0–9 _ -'),
  /** 32 random bytes, base64. */
  secret: z.string().refine((s) => Buffer.from(s, 'base64').length === 32, 'secret must be 32 bytes, base64'),
  createdAt: z.string(),
});
export const KeyFileSchema = z
  .object({ version: z.literal(1), current: z.string(), keys: z.array(KeySchema).min(1) })
  .refine((f) => f.keys.some((k) => k.id === f.current), { message: 'current must name one of keys', path: ['current'] });
export type KeyFile = z.infer<typeof KeyFileSchema>;

export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
  constructor(
    readonly code: 'missing' | 'invalid' | 'permissions',
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

export interface SiteKey {
  id: string;
  secret: Buffer;
}

export function loadKeyFile(path: string): SiteKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KeyFileError('missing', path, `cannot read key file (${(err as NodeJS.ErrnoException).code}); run \`doorcast provision\` or \`doorcast keys init\``);
  }
  // A pseudonym key readable by others would let them re-identify residents.
  if ((statSync(path).mode & 0o077) !== 0) {
    throw new KeyFileError('permissions', path, 'key file must not be readable by group or others (chmod 600)');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyFileError('invalid', path, 'not JSON');
  }
  const parsed = KeyFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new KeyFileError('invalid', path, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  }
  const k = parsed.data.keys.find((x) => x.id === parsed.data.current)!;
  return { id: k.id, secret: Buffer.from(k.secret, 'base64') };
}

function newKey(id: string) {
  return { id, secret: randomBytes(32).toString('base64'), createdAt: new Date().toISOString() };
}

/** Creates a key file with one fresh key (demo and provisioning). Mode 0600. */
export function initKeyFile(path: string, id = 'k1'): void {
  const file: KeyFile = { version: 1, current: id, keys: [newKey(id)] };
  writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
}

/** Adds a new key and makes it current. Old keys stay only so an operator can audit. */
export function rotateKeyFile(path: string, id: string): void {
  const file = KeyFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  if (file.keys.some((k) => k.id === id)) throw new KeyFileError('invalid', path, `key id ${id} already used`);
  file.keys.push(newKey(id));
  file.current = id;
  writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
}
