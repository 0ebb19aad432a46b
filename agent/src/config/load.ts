// Reads, parses and validates the agent config. An invalid config fails fast with the exact
// path of each bad key and what was expected; nothing starts half-configured.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { type AgentConfig, AgentConfigSchema } from './schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'config-invalid';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function describeZodIssues(err: z.ZodError): string[] {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/** Validates an already-parsed config object; relative paths resolve against `baseDir`. */
export function parseConfig(value: unknown, file = '(inline)', baseDir = process.cwd()): AgentConfig {
  const r = AgentConfigSchema.safeParse(value);
  if (!r.success) throw new ConfigError(file, describeZodIssues(r.error));
  const c = r.data;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...c,
    stateDir: abs(c.stateDir),
    keyFile: abs(c.keyFile),
    screen: c.screen && {
      ...c.screen,
      snapshotDir: abs(c.screen.snapshotDir ?? resolve(abs(c.stateDir), 'snapshots')),
      creativesDir: abs(c.screen.creativesDir ?? resolve(abs(c.stateDir), 'creatives')),
      campaignsFile: c.screen.campaignsFile && abs(c.screen.campaignsFile),
    },
    cloud: c.cloud && { ...c.cloud, credentialsFile: abs(c.cloud.credentialsFile), caFile: c.cloud.caFile && abs(c.cloud.caFile) },
    sources: c.sources.map((s) => (s.kind === 'serial' && !s.path.startsWith('/dev/') ? { ...s, path: abs(s.path) } : s)),
  };
}

export function loadConfig(file: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => `YAML line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`));
  }
  return parseConfig(doc.toJS(), file, dirname(resolve(file)));
}
