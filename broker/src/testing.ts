// Test support: a broker on loopback ports 0 in a temp state dir, and mqtt.js clients with
// bounded waits. Used by the broker's tests and by cross-package tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { BrokerConfigInput } from './config/schema.js';
import type { CredentialBundle } from './contract.js';
import { type RunningBroker, type StartOptions, startBroker } from './server/broker.js';

export interface TestBroker extends RunningBroker {
  stateDir: string;
  /** stop() and delete the state dir. */
  destroy(): Promise<void>;
}

export async function startTestBroker(overrides: Partial<BrokerConfigInput> = {}, options: StartOptions = {}): Promise<TestBroker> {
  const stateDir = overrides.stateDir ?? mkdtempSync(join(tmpdir(), 'doorcast-broker-'));
  const b = await startBroker(
    {
      version: 1,
      stateDir,
      mqtt: { tcp: { host: '127.0.0.1', port: 0 } },
      http: { host: '127.0.0.1', port: 0, metrics: 'public' },
      auth: { recheckIntervalMs: 200 },
      ...overrides,
    },
    options,
  );
  return {
    ...b,
    stateDir,
    async destroy() {
      await b.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Connects with a bundle's credentials (MQTT 3.1.1, no reconnect). Rejects with the CONNACK error. */
export function connectWith(url: string, bundle: Pick<CredentialBundle, 'username' | 'password' | 'clientId'>, extra: IClientOptions = {}): Promise<MqttClient> {
  return connectAsync(url, {
    protocolVersion: 4,
    clientId: bundle.clientId,
    username: bundle.username,
    password: bundle.password,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...extra,
  });
}

/** Resolves with the first message on `topic` (already subscribed), or rejects after `ms`. */
export function nextMessage(client: MqttClient, topic: string, ms = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', on);
      reject(new Error(`no message on ${topic} within ${ms} ms`));
    }, ms);
    const on = (t: string, payload: Buffer) => {
      if (t !== topic) return;
      clearTimeout(timer);
      client.off('message', on);
      resolve(payload);
    };
    client.on('message', on);
  });
}

/** Resolves when the client's connection closes, or rejects after `ms`. */
export function closed(client: MqttClient, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!client.connected) return resolve();
    const timer = setTimeout(() => reject(new Error(`connection still open after ${ms} ms`)), ms);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Polls `check` until it returns true, or rejects after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${what} not met within ${ms} ms`);
}

/** Resolves after `ms` without a message on `topic` (for "no ack" assertions). */
export function noMessage(client: MqttClient, topic: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const on = (t: string) => {
      if (t !== topic) return;
      clearTimeout(timer);
      client.off('message', on);
      reject(new Error(`unexpected message on ${topic}`));
    };
    const timer = setTimeout(() => {
      client.off('message', on);
      resolve();
    }, ms);
    client.on('message', on);
  });
}

export async function metricValue(b: RunningBroker, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = b.registry.getSingleMetric(name);
  if (!m) return 0;
  const data = await m.get();
  return data.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
}

/**
 * A child process (node with tsx) that prints `ready\n`, waits for one byte on stdin, then
 * does its work and prints the result: so several can be released at the same moment, for
 * races between processes. `done` resolves with what it printed after `ready`.
 */
export function gatedChild(args: readonly string[], timeoutMs = 60_000): { ready: Promise<void>; go(): void; done: Promise<string> } {
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const p = spawn(process.execPath, ['--import', tsx, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  let announced: () => void = () => undefined;
  const ready = new Promise<void>((r) => {
    announced = r;
  });
  p.stdout.on('data', (b: Buffer) => {
    out += b;
    if (out.startsWith('ready\n')) announced();
  });
  const done = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`child ${args.join(' ').slice(0, 80)} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      code === 0 ? resolve(out.slice('ready\n'.length)) : reject(new Error(`child exited ${code}`));
    });
  });
  return { ready, go: () => p.stdin.end('x'), done };
}
