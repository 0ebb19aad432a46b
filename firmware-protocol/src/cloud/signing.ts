// Ed25519 signing and verification of manifests (node:crypto). CLOUD-LINK.md §6.2–§6.4.
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { MAX_MANIFEST_BYTES } from './limits.js';
import { type ManifestBody, ManifestBodySchema, type ManifestEnvelope, ManifestEnvelopeSchema } from './manifest.js';
import { issuePath } from './payload.js';

/** Prepended to the body bytes before signing, so a manifest signature means nothing elsewhere. §6.2 */
export const MANIFEST_SIGNING_DOMAIN = Buffer.from('doorcast/v1/manifest\0');

export interface ManifestKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
}

export function generateManifestKeyPair(): ManifestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, keyId: keyIdFor(publicKey) };
}

/** The raw 32-byte public key, standard base64: the form credential bundles carry. §6.3 */
export function publicKeyToBase64(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new TypeError('publicKey: not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

export function publicKeyFromBase64(raw: string): KeyObject {
  const bytes = Buffer.from(raw, 'base64');
  if (bytes.length !== 32) throw new TypeError('publicKey: an Ed25519 public key is 32 bytes');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: bytes.toString('base64url') }, format: 'jwk' });
}

/** `ed25519-` + the first 16 hex chars of SHA-256 over the raw public key. §6.3 */
export function keyIdFor(publicKey: KeyObject): string {
  const raw = Buffer.from(publicKeyToBase64(publicKey), 'base64');
  return `ed25519-${createHash('sha256').update(raw).digest('hex').slice(0, 16)}`;
}

export class ManifestSignError extends Error {
  override readonly name = 'ManifestSignError';
  constructor(
    readonly code: 'schema' | 'too-large',
    readonly path: string,
    message: string,
  ) {
    super(`manifest ${code}${path ? ` at ${path}` : ''}: ${message}`);
  }
}

/** Validates the body, canonicalises it and signs it. Throws ManifestSignError. */
export function signManifest(body: ManifestBody, privateKey: KeyObject, keyId: string): ManifestEnvelope {
  const r = ManifestBodySchema.safeParse(body);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ManifestSignError('schema', i ? issuePath(i.path) : '', i?.message ?? 'invalid');
  }
  const text = canonicalJson(body);
  const signature = sign(null, Buffer.concat([MANIFEST_SIGNING_DOMAIN, Buffer.from(text)]), privateKey).toString('base64');
  const envelope: ManifestEnvelope = { body: text, signature, keyId };
  const size = Buffer.byteLength(JSON.stringify(envelope));
  if (size > MAX_MANIFEST_BYTES) throw new ManifestSignError('too-large', '', `${size} bytes > ${MAX_MANIFEST_BYTES}`);
  return envelope;
}

export function encodeManifestEnvelope(envelope: ManifestEnvelope): Buffer {
  return Buffer.from(JSON.stringify(envelope));
}

export type ManifestRejectReason = 'too-large' | 'schema' | 'unknown-key' | 'bad-signature' | 'wrong-site' | 'wrong-device' | 'rollback';

export type ManifestVerifyResult =
  | { ok: true; manifest: ManifestBody; keyId: string }
  | { ok: false; reason: ManifestRejectReason; path: string; message: string };

export interface ManifestExpectation {
  site: string;
  device: string;
  /** The version the device runs now; the new one must be greater. Absent: accept any. */
  currentVersion?: number;
}

/** keyId → public key (KeyObject or raw base64). A device trusts the keys it was provisioned with. */
export type ManifestPublicKeys = Readonly<Record<string, KeyObject | string>>;

/**
 * Verifies an envelope as received (the payload bytes of the manifest topic). Checks, in order:
 * size, envelope shape, key id, signature over the exact body bytes, body schema, site, device,
 * version. Never throws. CLOUD-LINK.md §6.4
 */
export function verifyManifest(payload: Uint8Array | string, publicKeys: ManifestPublicKeys, expect: ManifestExpectation): ManifestVerifyResult {
  const fail = (reason: ManifestRejectReason, message: string, path = ''): ManifestVerifyResult => ({ ok: false, reason, path, message });
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_MANIFEST_BYTES) return fail('too-large', `${size} bytes > ${MAX_MANIFEST_BYTES}`);

  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch {
    return fail('schema', 'envelope is not JSON');
  }
  const env = ManifestEnvelopeSchema.safeParse(json);
  if (!env.success) {
    const i = env.error.issues[0];
    return fail('schema', `envelope: ${i?.message ?? 'invalid'}`, i ? issuePath(i.path) : '');
  }
  const { body, signature, keyId } = env.data;

  const key = Object.hasOwn(publicKeys, keyId) ? publicKeys[keyId] : undefined;
  if (key === undefined) return fail('unknown-key', `no trusted key ${keyId}`);
  let publicKey: KeyObject;
  try {
    publicKey = typeof key === 'string' ? publicKeyFromBase64(key) : key;
  } catch (err) {
    return fail('unknown-key', `trusted key ${keyId} is unusable: ${(err as Error).message}`);
  }
  // Verify over the exact bytes received; never re-serialise before verifying. §6.2
  const signed = Buffer.concat([MANIFEST_SIGNING_DOMAIN, Buffer.from(body)]);
  if (!verify(null, signed, publicKey, Buffer.from(signature, 'base64'))) return fail('bad-signature', `signature does not verify under ${keyId}`);

  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return fail('schema', 'body is not JSON', 'body');
  }
  const m = ManifestBodySchema.safeParse(parsed);
  if (!m.success) {
    const i = m.error.issues[0];
    return fail('schema', i?.message ?? 'invalid', i ? issuePath(i.path) : '');
  }
  const manifest = m.data;
  if (manifest.site !== expect.site) return fail('wrong-site', `manifest is for site ${manifest.site}, not ${expect.site}`, 'site');
  if (manifest.device !== expect.device) return fail('wrong-device', `manifest is for device ${manifest.device}, not ${expect.device}`, 'device');
  if (expect.currentVersion !== undefined && manifest.version <= expect.currentVersion) {
    return fail('rollback', `version ${manifest.version} ≤ current ${expect.currentVersion}`, 'version');
  }
  return { ok: true, manifest, keyId };
}
