// The manifest signing key: Ed25519, generated on first start, kept in the state dir (0600), or,
// for nodes on several hosts, in the PostgreSQL state db they share (one key for every node).
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { keyIdFor, type ManifestKeyPair, publicKeyToBase64 } from '../contract.js';
import type { StateDb } from '../db/state-db.js';
import { createFileOnce } from '../db/state-file.js';

export const SIGNING_KEY_FILE = 'manifest-signing-key.pem';

export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
  constructor(
    readonly code: 'permissions' | 'invalid',
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

export interface SigningKey extends ManifestKeyPair {
  /** Raw public key, base64: what devices are provisioned with. */
  publicKeyBase64: string;
}

const newPem = () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;

export function loadOrCreateSigningKey(stateDir: string): SigningKey {
  const path = join(stateDir, SIGNING_KEY_FILE);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // Of several nodes starting on one state dir, exactly one key wins (state-file.ts).
    createFileOnce(path, newPem());
    pem = readFileSync(path, 'utf8');
  }
  // Whoever reads this key can sign manifests for every device.
  if ((statSync(path).mode & 0o077) !== 0) throw new SigningKeyError('permissions', path, 'signing key must not be readable by group or others (chmod 600)');
  return keyFromPem(pem, path);
}

/**
 * The key in the shared state db; of nodes starting at once, one insert wins and all read it.
 * The first one seeds it with the key file in `stateDir` when there is one: devices already
 * provisioned against it keep verifying manifests after nodes move to separate hosts.
 */
export async function loadOrCreateSharedSigningKey(db: StateDb, stateDir: string): Promise<SigningKey> {
  const read = () => db.get<{ pem: string }>('SELECT pem FROM signing_keys WHERE id = 1');
  let row = await read();
  if (!row) {
    const file = join(stateDir, SIGNING_KEY_FILE);
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
      keyFromPem(pem, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      pem = newPem();
    }
    await db.run('INSERT INTO signing_keys (id, pem, created_at) VALUES (1, ?, ?) ON CONFLICT DO NOTHING', [pem, new Date().toISOString()]);
    row = await read();
  }
  return keyFromPem(row!.pem, 'state db signing_keys');
}

/** The key a node signs with: the shared one when the state db is PostgreSQL, else the state dir's file. */
export async function loadSigningKey(db: StateDb, stateDir: string): Promise<SigningKey> {
  return db.kind === 'postgres' ? loadOrCreateSharedSigningKey(db, stateDir) : loadOrCreateSigningKey(stateDir);
}

function keyFromPem(pem: string, path: string): SigningKey {
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new SigningKeyError('invalid', path, `not a PEM private key: ${(err as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new SigningKeyError('invalid', path, `expected an ed25519 key, found ${privateKey.asymmetricKeyType}`);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdFor(publicKey), publicKeyBase64: publicKeyToBase64(publicKey) };
}
