// A broker node as its own process (the CLI, as the systemd unit runs it), so a test can kill
// it with SIGKILL mid-session. It reads its ports from the node's first stderr line.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../broker/bin/doorcast-broker.js', import.meta.url));
const START_MS = 30_000;

export class BrokerProcess {
  mqttPort = 0;
  readonly stderr: string[] = [];

  private constructor(readonly child: ChildProcess) {}

  /** Starts a node on `config` (a broker config object, written beside the state dir). */
  static async start(dir: string, name: string, config: Record<string, unknown>, env: Record<string, string> = {}): Promise<BrokerProcess> {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, JSON.stringify({ version: 1, mqtt: { tcp: { host: '127.0.0.1', port: 0 } }, http: { host: '127.0.0.1', port: 0 }, log: { level: 'warn' }, ...config }));
    const child = spawn(process.execPath, [BIN, 'serve', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    const b = new BrokerProcess(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`broker ${name} did not start within ${START_MS} ms:\n${b.stderr.join('')}`)), START_MS);
      const fail = (err: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(err);
      };
      child.once('exit', (code) => fail(new Error(`broker ${name} exited ${code}:\n${b.stderr.join('')}`)));
      child.stderr!.on('data', (d: Buffer) => {
        b.stderr.push(d.toString());
        if (b.stderr.length > 200) b.stderr.shift();
        const m = /doorcast-broker: mqtt (\d+)/.exec(b.stderr.join(''));
        if (m && !b.mqttPort) {
          b.mqttPort = Number(m[1]);
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve();
        }
      });
    });
    return b;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}
