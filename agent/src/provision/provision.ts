// `doorcast provision`: from a one-time enrolment code (or a credential bundle file) to a box
// that is configured, holds its keys with the right permissions, and has been seen by the
// broker. Nothing is written unless everything is valid; nothing is overwritten without force.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type CredentialBundle, CredentialBundleSchema } from '@doorcast/firmware-protocol/cloud';
import { stringify } from 'yaml';
import { z } from 'zod';
import { parseConfig } from '../config/load.js';
import type { CheckResult } from '../doctor/check.js';
import { checkBroker } from '../doctor/site-checks.js';
import { initKeyFile, KeyFileSchema } from '../identity/keys.js';
import { writeFileAtomic } from '../state/atomic-file.js';

export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
  constructor(
    readonly code: 'enrol-refused' | 'enrol-unreachable' | 'bad-response' | 'exists' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

export interface ProvisionOptions {
  /** The broker's HTTP origin and a code from `doorcast-broker device enrol`; or a bundle file. */
  enrol?: { url: string; code: string };
  bundle?: CredentialBundle;
  /** Where the config and keys go (/etc/doorcast). */
  configDir: string;
  stateDir: string;
  timezone: string;
  /** Door-event sources and door mapping, as in the config file. */
  sources: unknown[];
  doors: unknown[];
  screen?: unknown;
  force?: boolean;
  fetch?: typeof fetch;
}

export interface ProvisionResult {
  configFile: string;
  credentialsFile: string;
  keyFile: string;
  site: string;
  device: string;
  broker: CheckResult;
}

const EnrolResponse = z.looseObject({ credentials: CredentialBundleSchema, siteKey: KeyFileSchema });

export async function provision(o: ProvisionOptions): Promise<ProvisionResult> {
  const configFile = join(o.configDir, 'agent.yaml');
  const credentialsFile = join(o.configDir, 'credentials.json');
  const keyFile = join(o.configDir, 'site-key.json');
  if (!o.force) for (const f of [configFile, credentialsFile, keyFile]) if (existsSync(f)) throw new ProvisionError('exists', `${f} exists; this box is provisioned already (use --force to replace it)`);

  let bundle: CredentialBundle;
  let siteKey: z.infer<typeof KeyFileSchema> | null = null;
  if (o.enrol) {
    ({ credentials: bundle, siteKey } = await exchange(o.enrol.url, o.enrol.code, o.fetch ?? fetch));
  } else if (o.bundle) {
    bundle = o.bundle;
  } else throw new ProvisionError('invalid', 'an enrolment code (--code) or a credential bundle (--bundle) is needed');
  if (bundle.kind !== 'device' || !bundle.site || !bundle.device) throw new ProvisionError('invalid', 'the bundle is not a device bundle');

  // The config is validated before anything is written (it is the file systemd starts from).
  const config = {
    version: 1,
    device: { id: bundle.device, site: bundle.site },
    stateDir: o.stateDir,
    keyFile,
    site: { timezone: o.timezone },
    sources: o.sources,
    doors: o.doors,
    ...(o.screen ? { screen: o.screen } : {}),
    cloud: { credentialsFile },
  };
  try {
    parseConfig(config, configFile, o.configDir);
  } catch (err) {
    throw new ProvisionError('invalid', (err as Error).message);
  }
  mkdirSync(o.configDir, { recursive: true, mode: 0o750 });
  mkdirSync(o.stateDir, { recursive: true, mode: 0o750 });
  writeFileAtomic(credentialsFile, `${JSON.stringify(bundle, null, 2)}\n`, 0o600);
  // The site key comes from the cloud, so every box of a site gives a resident the same
  // pseudonym; a bundle-only provision (offline, lab) makes a local one.
  if (siteKey) writeFileAtomic(keyFile, `${JSON.stringify(siteKey, null, 2)}\n`, 0o600);
  else initKeyFile(keyFile);
  writeFileAtomic(configFile, `# written by doorcast provision; check with: doorcast doctor -c ${configFile}\n${stringify(config)}`, 0o640);
  return { configFile, credentialsFile, keyFile, site: bundle.site, device: bundle.device, broker: await checkBroker(credentialsFile) };
}

async function exchange(url: string, code: string, f: typeof fetch): Promise<z.infer<typeof EnrolResponse>> {
  let res: Response;
  try {
    res = await f(new URL('/enrol', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }), signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new ProvisionError('enrol-unreachable', `cannot reach ${url} (${(err as Error).cause ?? (err as Error).message}); check the network and the broker address`);
  }
  const body = (await res.json().catch(() => null)) as { error?: string; detail?: string } | null;
  if (!res.ok) throw new ProvisionError('enrol-refused', `enrolment refused: ${body?.error ?? res.status}${body?.detail ? ` (${body.detail})` : ''}`);
  const r = EnrolResponse.safeParse(body);
  if (!r.success) throw new ProvisionError('bad-response', `unexpected answer from ${url}: ${r.error.issues[0]?.path.join('.')} ${r.error.issues[0]?.message}`);
  return r.data;
}
