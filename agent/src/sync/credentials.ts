// The device's credential bundle (CLOUD-LINK.md §8), written at provisioning. It holds the
// MQTT secret, so like the site key it must be readable by the agent alone.
import { readFileSync, statSync } from 'node:fs';
import { type CredentialBundle, CredentialBundleSchema } from '@doorcast/firmware-protocol/cloud';

export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
  constructor(
    readonly code: 'missing' | 'invalid' | 'permissions',
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

export function loadCredentials(path: string): CredentialBundle & { site: string; device: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CredentialsError('missing', path, `cannot read credentials (${(err as NodeJS.ErrnoException).code}); run \`doorcast provision\``);
  }
  if ((statSync(path).mode & 0o077) !== 0) throw new CredentialsError('permissions', path, 'credentials must not be readable by group or others (chmod 600)');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CredentialsError('invalid', path, 'not JSON');
  }
  const r = CredentialBundleSchema.safeParse(json);
  if (!r.success) throw new CredentialsError('invalid', path, r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  const b = r.data;
  if (b.kind !== 'device' || !b.site || !b.device) throw new CredentialsError('invalid', path, 'not a device bundle (kind device, site and device required)');
  return { ...b, site: b.site, device: b.device };
}
