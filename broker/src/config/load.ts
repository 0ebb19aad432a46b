// Reads and validates the YAML config; errors name the field path. Relative paths in the file
// are resolved against the file's directory.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { type BrokerConfig, type BrokerConfigInput, ConfigSchema } from './schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    /** "path: message" lines. */
    readonly issues: readonly string[],
  ) {
    super(`${file}: invalid config\n  ${issues.join('\n  ')}`);
  }
}

function describe(err: z.ZodError): string[] {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/** Validates an in-memory config (tests, embedding). Throws ConfigError. */
export function parseConfig(input: BrokerConfigInput | unknown, source = '(inline)', baseDir = process.cwd()): BrokerConfig {
  const r = ConfigSchema.safeParse(input);
  if (!r.success) throw new ConfigError(source, describe(r.error));
  const c = r.data;
  return {
    ...c,
    stateDir: resolve(baseDir, c.stateDir),
    mqtt: { ...c.mqtt, tls: c.mqtt.tls && { ...c.mqtt.tls, certFile: resolve(baseDir, c.mqtt.tls.certFile), keyFile: resolve(baseDir, c.mqtt.tls.keyFile) } },
  };
}

export function loadConfig(file: string): BrokerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`(root): cannot read (${(err as NodeJS.ErrnoException).code})`]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, [`(root): not YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  return parseConfig(doc, file, dirname(resolve(file)));
}
