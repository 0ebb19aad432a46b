// Builds and drives the C reference's vector harness (c/test_vectors.c) for the tests.
// One process answers many input lines, so a few hundred cases cost one spawn.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const C_DIR = fileURLToPath(new URL('../c/', import.meta.url));
const SOURCES = ['doorlink.c', 'test_units.c', 'test_vectors.c'];
/** The flags the README promises the sources compile clean with. */
export const C_WARNINGS = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-Wconversion', '-Wshadow'];
const SANITIZERS = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all'];
const RUN_ENV = { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' };

export type CHarnessErrorCode = 'no-compiler' | 'compile' | 'run';

export class CHarnessError extends Error {
  override readonly name = 'CHarnessError';
  constructor(
    readonly code: CHarnessErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface CBuild {
  readonly name: string;
  /** Preprocessor definitions, e.g. 'DL_SMALL' or 'DL_MAX_FRAME=96'. */
  readonly defines: readonly string[];
}

/** The output for one input line: its event lines (JSON text) and its closing line. */
export interface HarnessRun {
  readonly lines: string[];
  readonly end: Record<string, unknown>;
}

function cc(args: string[]): void {
  execFileSync('cc', args, { stdio: 'pipe', timeout: 60_000 });
}

function stderrOf(err: unknown): string {
  const e = err as { stderr?: Buffer | string; message?: string };
  return (e.stderr?.toString() || e.message || String(err)).trim();
}

/** Throws CHarnessError('no-compiler') with a clear message when `cc` is missing. */
export function requireCompiler(): void {
  try {
    execFileSync('cc', ['--version'], { stdio: 'pipe', timeout: 10_000 });
  } catch (err) {
    throw new CHarnessError('no-compiler', `the C reference tests need a C compiler as 'cc' (Debian: build-essential): ${stderrOf(err)}`);
  }
}

/** True when cc can build and run an ASan+UBSan binary here (gcc's libasan/libubsan present). */
export function sanitizersWork(dir: string): boolean {
  const out = join(dir, 'probe');
  try {
    execFileSync('cc', [...SANITIZERS, '-x', 'c', '-', '-o', out], { input: 'int main(void){return 0;}', stdio: 'pipe' });
    execFileSync(out, [], { stdio: 'pipe', env: RUN_ENV, timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Compiles the harness for `build` into dir; returns the executable's path. */
export function compileHarness(dir: string, build: CBuild, sanitize: boolean): string {
  const out = join(dir, `test_vectors-${build.name}`);
  const args = [...C_WARNINGS, '-O1', '-g', ...(sanitize ? SANITIZERS : [])];
  args.push(...build.defines.map((d) => `-D${d}`), ...SOURCES.map((s) => join(C_DIR, s)), '-o', out);
  try {
    cc(args);
  } catch (err) {
    throw new CHarnessError('compile', `cc failed for the ${build.name} build:\n${stderrOf(err)}`);
  }
  return out;
}

/** Runs the harness over `inputs` ("<mode> <hex>" or "selftest"), one result per input. */
export function runHarness(bin: string, inputs: readonly string[]): HarnessRun[] {
  const r = spawnSync(bin, [], {
    input: `${inputs.join('\n')}\n`,
    encoding: 'utf8',
    env: RUN_ENV,
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error?.message ?? `exit ${r.status} signal ${r.signal}`;
    throw new CHarnessError('run', `${bin}: ${why}\n${r.stderr}\n${r.stdout.slice(-2000)}`);
  }
  const runs: HarnessRun[] = [];
  let lines: string[] = [];
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (parsed.end !== true) {
      lines.push(line);
      continue;
    }
    runs.push({ lines, end: parsed });
    lines = [];
  }
  if (runs.length !== inputs.length || lines.length > 0) {
    throw new CHarnessError('run', `${bin}: ${inputs.length} inputs but ${runs.length} results (${lines.length} stray lines)`);
  }
  return runs;
}
