// `doorcast doctor`: every check an installer needs at the gate, in order, each with its fix.
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError, loadConfig } from '../config/load.js';
import type { AgentConfig } from '../config/schema.js';
import { decodeEvent } from '../door/uhppote/codec.js';
import { KeyFileError, loadKeyFile } from '../identity/keys.js';
import { type CheckResult, fail, pass, warn } from './check.js';
import { checkClock, checkDisk, checkFfmpeg, checkPower, checkSdHealth } from './machine-checks.js';
import { checkBroker, checkGpio, checkManifest, checkScreen, checkSerial } from './site-checks.js';

export interface DoctorOptions {
  /** How long to listen on each serial port and UDP listener. */
  listenMs?: number;
  /** How long the test pattern stays on the screen. */
  showMs?: number;
  /** Roots for the machine checks (tests use fake trees). */
  sysfsRoot?: string;
  /** PATH for finding ffmpeg. */
  path?: string;
  /** Progress as each check finishes (the terminal shows it live). */
  onResult?(r: CheckResult): void;
}

export async function runDoctor(configFile: string, o: DoctorOptions = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const add = (r: CheckResult) => {
    results.push(r);
    o.onResult?.(r);
  };
  let c: AgentConfig;
  try {
    c = loadConfig(configFile);
    add(pass('config', 'config', `${configFile} is valid`));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    add(fail('config', 'config', err.problems.join('; '), `fix those keys in ${configFile}, then run doorcast config -c ${configFile}`));
    return results;
  }
  try {
    const k = loadKeyFile(c.keyFile);
    add(pass('keys', 'site key', `${c.keyFile}, key ${k.id}`));
  } catch (err) {
    if (!(err instanceof KeyFileError)) throw err;
    add(fail('keys', 'site key', err.message, err.code === 'permissions' ? `chmod 600 ${c.keyFile}` : 'run doorcast provision (or doorcast keys init for a lab box)'));
  }
  const listenMs = o.listenMs ?? 3000;
  for (const s of c.sources) {
    if (s.kind === 'serial') add(await checkSerial(s.path, s.baudRate, listenMs));
    else if (s.kind === 'gpio') add(checkGpio(s.sysfsRoot, s.chip, s.inputs.map((i) => i.line)));
    else if (s.kind === 'udp-controller') add(await checkUdp(s.host, s.port, listenMs));
    else if (s.kind === 'tcp') add(pass(`tcp:${s.name}`, `tcp ${s.host}:${s.port}`, 'checked by the agent at start (reconnects with backoff)'));
    else add(pass(`sim:${s.name}`, `sim ${s.name}`, 'simulated controller (demo)'));
  }
  if (c.screen) add(await checkScreen(c.screen, o.showMs ?? 3000));
  add(await checkFfmpeg({ path: o.path }));
  if (c.cloud) add(await checkBroker(c.cloud.credentialsFile));
  add(checkManifest(manifestVersion(c.stateDir)));
  add(checkClock(c.clock.sync, c.clock.flagFile));
  add(checkDisk(c.stateDir));
  add(checkSdHealth(o.sysfsRoot));
  add(await checkPower(o.sysfsRoot));
  return results;
}

function manifestVersion(stateDir: string): number | undefined {
  const path = join(stateDir, 'agent.db');
  if (!existsSync(path)) return undefined;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT version FROM manifest_cache WHERE id = 1').get() as { version: number } | undefined)?.version;
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}

async function checkUdp(host: string, port: number, ms: number): Promise<CheckResult> {
  const title = `udp-controller :${port}`;
  const s = createSocket({ type: 'udp4', reuseAddr: true });
  let valid = 0;
  let other = 0;
  const serials = new Set<number>();
  s.on('message', (m) => {
    try {
      serials.add(decodeEvent(m).serial);
      valid++;
    } catch {
      other++;
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, host, () => resolve());
    });
  } catch (err) {
    s.close();
    return fail(`udp:${port}`, title, `cannot listen on ${host}:${port} (${(err as Error).message})`, 'another program holds the port, or the address is not on this box');
  }
  await new Promise((r) => setTimeout(r, ms));
  s.close();
  if (valid > 0) return pass(`udp:${port}`, title, `${valid} controller packets from ${[...serials].join(', ')}`);
  return warn(`udp:${port}`, title, `no controller packets in ${ms / 1000} s${other ? ` (${other} other packets)` : ''}`, 'swipe a card; set the controller’s event listener (set-listener) to this box’s address and port');
}
