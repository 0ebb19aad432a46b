// Credential bundles: printed or written once (mode 0600), never stored by the broker.
import { chmodSync, writeFileSync } from 'node:fs';
import type { BrokerConfig } from '../config/schema.js';
import { type CredentialBundle, CredentialBundleSchema } from '../contract.js';
import type { SigningKey } from '../manifest/signing-key.js';
import type { Identity } from './usernames.js';

export interface PublicUrls {
  brokerUrl: string;
  httpUrl: string;
}

/** The URLs devices are given: configured ones, else derived from the listeners (TLS first). */
export function publicUrls(config: BrokerConfig, ports: { tcp?: number | null; tls?: number | null; http: number }): PublicUrls {
  const m = config.mqtt;
  const h = config.http;
  const derived = m.tls && ports.tls != null
    ? `mqtts://${m.tls.host}:${ports.tls}`
    : m.tcp && ports.tcp != null
      ? `mqtt://${m.tcp.host}:${ports.tcp}`
      : `ws://${h.host}:${ports.http}/mqtt`;
  return { brokerUrl: config.publicUrls.mqtt ?? derived, httpUrl: config.publicUrls.http ?? `http://${h.host}:${ports.http}` };
}

export function makeBundle(identity: Identity, secret: string, urls: PublicUrls, key: SigningKey, now: Date): CredentialBundle {
  return CredentialBundleSchema.parse({
    format: 'doorcast-credentials/1',
    kind: identity.kind,
    brokerUrl: urls.brokerUrl,
    httpUrl: urls.httpUrl,
    username: identity.username,
    password: secret,
    clientId: identity.username,
    ...(identity.kind === 'device' ? { site: identity.site, device: identity.device } : {}),
    manifestKeys: { [key.keyId]: key.publicKeyBase64 },
    issuedAt: now.toISOString(),
  });
}

/** Writes a bundle readable only by its owner; refuses to overwrite an existing file. */
export function writeBundleFile(path: string, bundle: CredentialBundle): void {
  writeFileSync(path, `${JSON.stringify(bundle, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
}
