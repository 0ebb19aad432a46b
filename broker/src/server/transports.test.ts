// Every transport a standard client may use: TCP, TLS, WebSocket, and the Mosquitto command-line
// clients as plain third-party MQTT 3.1.1 clients (DESIGN.md rule 7).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CredentialBundle, exampleImpressionBatch, parse, topicFor, verifyManifest } from '../contract.js';
import { connectWith, nextMessage, startTestBroker, type TestBroker, until } from '../testing.js';

function has(cmd: string): boolean {
  try {
    execFileSync('which', [cmd], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const haveOpenssl = has('openssl');
const haveMosquitto = has('mosquitto_pub') && has('mosquitto_sub');

const dir = mkdtempSync(join(tmpdir(), 'doorcast-transports-'));
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
let b: TestBroker;
let dev: CredentialBundle;
const ref = { site: 'maple', device: 'gate-1' };
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (haveOpenssl) {
    // A throwaway self-signed certificate for 127.0.0.1.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  }
  b = await startTestBroker(haveOpenssl ? { mqtt: { tcp: { host: '127.0.0.1', port: 0 }, tls: { host: '127.0.0.1', port: 0, certFile: cert, keyFile: key } } } : {});
  dev = await b.addDevice(ref.site, ref.device);
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await b.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** Round trip as a device: publish a batch, receive the committed ack. */
async function roundTrip(url: string, extra: Parameters<typeof connectWith>[2] = {}) {
  const c = await connectWith(url, dev, extra);
  try {
    await c.subscribeAsync(topicFor('ack', ref), { qos: 1 });
    const batch = exampleImpressionBatch(ref, [Math.floor(Math.random() * 1e9) + 1]);
    const ack = nextMessage(c, topicFor('ack', ref));
    await c.publishAsync(topicFor('impressions', ref), JSON.stringify(batch), { qos: 1 });
    expect(parse('ack', await ack)).toMatchObject({ ok: true, value: { batchId: batch.batchId, status: 'committed' } });
  } finally {
    await c.endAsync(true);
  }
}

describe('transports', () => {
  it.skipIf(!haveOpenssl)('TLS: a client that trusts the certificate connects and gets acks', async () => {
    expect(b.urls.brokerUrl).toBe(`mqtts://127.0.0.1:${b.tlsPort}`);
    await roundTrip(`mqtts://127.0.0.1:${b.tlsPort}`, { ca: readFileSync(cert), rejectUnauthorized: true });
  });

  it.skipIf(!haveOpenssl)('TLS: a client that does not trust the certificate is refused', async () => {
    await expect(connectWith(`mqtts://127.0.0.1:${b.tlsPort}`, dev, { rejectUnauthorized: true })).rejects.toThrow(/self[- ]signed|certificate/i);
  });

  it('WebSocket on /mqtt of the HTTP server', async () => {
    await roundTrip(`ws://127.0.0.1:${b.httpPort}/mqtt`);
  });

  it('WebSocket clients are held to the same credentials', async () => {
    await expect(connectWith(`ws://127.0.0.1:${b.httpPort}/mqtt`, { ...dev, password: 'x'.repeat(43) })).rejects.toMatchObject({ code: 4 });
  });
});

/** Runs a Mosquitto client to completion (bounded), returning exit code and output. */
function mosquitto(cmd: string, args: string[], timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(p);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(!haveMosquitto)('interop: mosquitto_pub / mosquitto_sub against the aedes broker', () => {
  const common = () => ['-h', '127.0.0.1', '-p', String(b.mqttPort), '-V', 'mqttv311', '-u', dev.username, '-P', dev.password, '-q', '1'];

  it('mosquitto_pub sends a batch, mosquitto_sub receives the committed ack', async () => {
    const batch = exampleImpressionBatch(ref, [424242]);
    const file = join(dir, 'batch.json');
    writeFileSync(file, JSON.stringify(batch));
    const subscribed = new Promise<void>((resolve) => b.aedes.once('subscribe', () => resolve()));
    const sub = mosquitto('mosquitto_sub', [...common(), '-i', `${dev.clientId}/sub`, '-t', topicFor('ack', ref), '-C', '1', '-W', '10']);
    await subscribed;
    const pub = await mosquitto('mosquitto_pub', [...common(), '-i', `${dev.clientId}/pub`, '-t', topicFor('impressions', ref), '-f', file]);
    expect(pub.code).toBe(0);
    const got = await sub;
    expect(got.code).toBe(0);
    expect(parse('ack', Buffer.from(got.stdout.trim()))).toMatchObject({ ok: true, value: { batchId: batch.batchId, status: 'committed', seqs: [[424242, 424242]] } });
    expect((await b.store.listImpressions(ref, { afterSeq: 424241, limit: 1 }))[0]?.impressionId).toBe(batch.records[0]?.impressionId);
  });

  it('mosquitto_sub receives the retained manifest, which verifies', async () => {
    const got = await mosquitto('mosquitto_sub', [...common(), '-i', `${dev.clientId}/m`, '-t', topicFor('manifest', ref), '-C', '1', '-W', '10']);
    expect(got.code).toBe(0);
    expect(verifyManifest(got.stdout.trim(), dev.manifestKeys, ref)).toMatchObject({ ok: true, manifest: { device: 'gate-1' } });
  });

  it('mosquitto_pub with a wrong password is refused', async () => {
    const args = common();
    args[args.indexOf('-P') + 1] = 'wrong-password-wrong-password';
    const r = await mosquitto('mosquitto_pub', [...args, '-i', dev.clientId, '-t', topicFor('state', ref), '-m', 'offline']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bad user name or password|not authori[sz]ed/i);
  });

  it('mosquitto_pub publishing the bare "offline" state marks the device offline', async () => {
    const c = await connectWith(`mqtt://127.0.0.1:${b.mqttPort}`, dev);
    await until(async () => (await b.fleet.get(ref))?.online === true, 3000, 'online');
    const r = await mosquitto('mosquitto_pub', [...common(), '-i', `${dev.clientId}/st`, '-t', topicFor('state', ref), '-m', 'offline', '-r']);
    expect(r.code).toBe(0);
    await until(async () => (await b.fleet.get(ref))?.online === false, 3000, 'offline');
    await c.endAsync(true);
  });

  it.skipIf(!haveOpenssl)('mosquitto_pub over TLS with --cafile', async () => {
    const batch = exampleImpressionBatch(ref, [525252]);
    const args = ['-h', '127.0.0.1', '-p', String(b.tlsPort), '--cafile', cert, '-V', 'mqttv311', '-u', dev.username, '-P', dev.password, '-q', '1'];
    const r = await mosquitto('mosquitto_pub', [...args, '-i', `${dev.clientId}/tls`, '-t', topicFor('impressions', ref), '-m', JSON.stringify(batch)]);
    expect(r.code).toBe(0);
    await until(async () => (await b.store.listImpressions(ref, { afterSeq: 525251, limit: 1 })).length === 1, 3000, 'stored over TLS');
  });
});
