// Issue 5: the broker under load, as its own process (node broker/bin/doorcast-broker.js):
//  - ingest: N devices publishing impression batches concurrently, each waiting for its
//    application ack (committed to SQLite) before the next: impressions/s and broker RSS;
//  - idle connections held (5,000 devices by default) and RSS per connection;
//  - the raw QoS 1 publish path, bare aedes against Mosquitto, side by side.
// Devices are real identities (scrypt, ~45 ms each), provisioned in parallel before the start.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode, exampleImpressionBatch, topicFor } from '@doorcast/firmware-protocol/cloud';
import { connectAsync, type MqttClient } from 'mqtt';
import { IdentityStore } from '../../broker/src/auth/identities.js';
import { openStateDb } from '../../broker/src/db/database.js';
import { type BenchResult, round } from './result.js';

const BROKER = fileURLToPath(new URL('../../broker/bin/doorcast-broker.js', import.meta.url));
const INGEST_DEVICES = Number(process.env.DOORCAST_BENCH_DEVICES ?? 1000);
const IDLE_DEVICES = Number(process.env.DOORCAST_BENCH_IDLE ?? 5000);
const RECORDS = 100;
const WINDOW_S = 15;
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return p;
}

async function pool<T, R>(items: T[], n: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]!);
      }
    }),
  );
  return out;
}

async function waitPort(port: number, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const c = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 1000, username: 'x', password: 'y' });
      await c.endAsync(true);
      return;
    } catch (err) {
      if (/Not authorized|Bad username/i.test((err as Error).message)) return;
      await sleep(200);
    }
  }
  throw new Error(`nothing listening on ${port}`);
}

async function rawPublish(port: number, publishers = 20, perPublisher = 2000): Promise<number> {
  const sub = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  let got = 0;
  sub.on('message', () => got++);
  await sub.subscribeAsync('bench/#', { qos: 1 });
  const pubs = await pool([...Array(publishers).keys()], 20, (i) => connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, clientId: `pub-${i}` }));
  const payload = Buffer.alloc(256, 0x61);
  const total = publishers * perPublisher;
  const t0 = performance.now();
  await Promise.all(pubs.map(async (p, i) => {
    for (let k = 0; k < perPublisher; k++) await p.publishAsync(`bench/${i}`, payload, { qos: 1 });
  }));
  const deadline = Date.now() + 60_000;
  while (got < total && Date.now() < deadline) await sleep(5);
  const rate = got / ((performance.now() - t0) / 1000);
  await Promise.all([...pubs, sub].map((c) => c.endAsync(true)));
  return rate;
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-bench-broker-'));
  const port = await freePort();
  const config = join(dir, 'broker.yaml');
  writeFileSync(config, `version: 1\nstateDir: ${dir}/state\nmqtt: { tcp: { host: 127.0.0.1, port: ${port} } }\nhttp: { host: 127.0.0.1, port: 0 }\nlog: { level: error }\n`);
  const devices = Math.max(INGEST_DEVICES, IDLE_DEVICES);
  const db = openStateDb(join(dir, 'state'));
  const ids = new IdentityStore(db);
  const t0 = performance.now();
  const creds = await pool([...Array(devices).keys()], 16, async (i) => {
    const ref = { site: 'bench', device: `gate-${i}` };
    const r = await ids.addDevice(ref.site, ref.device);
    return { ref, username: r.identity.username, password: r.secret };
  });
  db.close();
  const provisionS = (performance.now() - t0) / 1000;
  const broker: ChildProcess = spawn(process.execPath, [BROKER, 'serve', '--config', config], { stdio: 'ignore' });
  const clients: MqttClient[] = [];
  const results: BenchResult[] = [];
  try {
    await waitPort(port);
    const rssStart = rssMb(broker.pid!);
    const connect = (c: (typeof creds)[number]) => connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: c.username, username: c.username, password: c.password, reconnectPeriod: 0, connectTimeout: 60_000, clean: true, keepalive: 120 });
    const tc = performance.now();
    const ingest = await pool(creds.slice(0, INGEST_DEVICES), 64, connect);
    clients.push(...ingest);
    const connectS = (performance.now() - tc) / 1000;
    // Each device: publish a batch, wait for its committed ack, repeat, for WINDOW_S seconds.
    let acked = 0;
    let stop = false;
    await Promise.all(
      ingest.map(async (c, i) => {
        const ref = creds[i]!.ref;
        await c.subscribeAsync(topicFor('ack', ref), { qos: 1 });
        let pending: (() => void) | null = null;
        c.on('message', () => pending?.());
        let seq = 1;
        while (!stop) {
          const batch = exampleImpressionBatch(ref, Array.from({ length: RECORDS }, (_, k) => seq + k), randomUUID());
          const ack = new Promise<void>((r) => (pending = r));
          await c.publishAsync(topicFor('impressions', ref), encode('impressions', batch), { qos: 1 });
          await Promise.race([ack, sleep(30_000)]);
          acked += RECORDS;
          seq += RECORDS;
        }
      }).concat([
        (async () => {
          await sleep(2000);
          acked = 0;
          const start = performance.now();
          let peak = 0;
          while (performance.now() - start < WINDOW_S * 1000) {
            peak = Math.max(peak, rssMb(broker.pid!));
            await sleep(250);
          }
          const rate = acked / ((performance.now() - start) / 1000);
          stop = true;
          results.push(
            { name: `ingest: ${INGEST_DEVICES} devices, ${RECORDS}-record batches, acked after commit`, value: round(rate, 0), unit: 'impressions/s', note: `aim ≥ 20,000; ${WINDOW_S} s window` },
            { name: 'broker RSS peak while ingesting', value: round(peak, 0), unit: 'MB' },
            { name: `connect storm: ${INGEST_DEVICES} devices (scrypt verify each)`, value: round(connectS, 1), unit: 's' },
          );
        })(),
      ]),
    );
    // Idle devices: everyone connected, doing nothing but keepalive.
    const rssBefore = rssMb(broker.pid!);
    const more = await pool(creds.slice(INGEST_DEVICES, IDLE_DEVICES), 64, connect);
    clients.push(...more);
    await sleep(3000);
    const rssIdle = rssMb(broker.pid!);
    results.push(
      { name: 'connections held by one broker process', value: clients.filter((c) => c.connected).length, unit: 'connections', note: 'aim 5,000+' },
      { name: 'broker RSS with all of them connected', value: round(rssIdle, 0), unit: 'MB', note: `${round(rssStart, 0)} MB at start` },
      { name: 'RSS per idle connection', value: round(((rssIdle - rssBefore) * 1024) / Math.max(1, more.length), 1), unit: 'KiB' },
      { name: `provisioning ${devices} device identities (scrypt, 16 at a time)`, value: round(provisionS, 1), unit: 's' },
    );
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
    broker.kill('SIGTERM');
    await new Promise((r) => broker.once('exit', r));
  }

  // Raw QoS 1 publish path: bare aedes and Mosquitto, same load, same run.
  const aedesPort = await freePort();
  const aedes = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./broker/aedes-bare.ts', import.meta.url)), String(aedesPort)], { stdio: ['ignore', 'pipe', 'ignore'] });
  const mqPort = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${mqPort} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 100\nmax_queued_messages 100000\nuser ${userInfo().username}\n`);
  const mosq = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  try {
    await new Promise<void>((r) => aedes.stdout!.once('data', () => r()));
    await waitPort(mqPort);
    const a = await rawPublish(aedesPort);
    const m = await rawPublish(mqPort);
    results.push(
      { name: 'raw QoS 1 publish, bare aedes (20 publishers, 1 subscriber)', value: round(a, 0), unit: 'msgs/s' },
      { name: 'raw QoS 1 publish, Mosquitto (same load)', value: round(m, 0), unit: 'msgs/s' },
      { name: 'Mosquitto / aedes', value: round(m / a, 2), unit: '×' },
    );
  } finally {
    aedes.kill('SIGTERM');
    mosq.kill('SIGKILL');
  }
  return results;
}
