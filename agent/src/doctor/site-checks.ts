// Checks of what this box is wired to: the door-controller links, GPIO, the screen, the
// broker, the manifest. Each is bounded in time; none needs the agent to be running (stop it
// first for the serial check: a port has one reader).
import { existsSync } from 'node:fs';
import { DoorlinkParser, encode, PROTOCOL_VERSION } from '@doorcast/firmware-protocol';
import { connectAsync } from 'mqtt';
import { SerialPort } from 'serialport';
import type { AgentConfig } from '../config/schema.js';
import { GpioError, listChips, pickChip, sysfsNumber } from '../door/gpio-chip.js';
import { FramebufferSink, readFbGeometry } from '../player/framebuffer-sink.js';
import { SinkError } from '../player/sink.js';
import { SnapshotSink } from '../player/snapshot-sink.js';
import { loadCredentials } from '../sync/credentials.js';
import { type CheckResult, fail, pass, skip, warn } from './check.js';

/** Listens on a serial device for `ms` and decodes: which port carries doorlink traffic. */
export async function checkSerial(path: string, baudRate: number, ms = 3000): Promise<CheckResult> {
  const title = `serial ${path}`;
  if (!existsSync(path)) {
    const ports = await SerialPort.list().catch(() => []);
    const seen = ports.map((p) => p.path).join(', ') || 'none';
    return fail(`serial:${path}`, title, `not present; serial ports here: ${seen}`, 'plug in the USB-serial adapter, or set the source path to one of the ports listed');
  }
  let port: SerialPort;
  try {
    port = await new Promise<SerialPort>((resolve, reject) => {
      const p = new SerialPort({ path, baudRate, autoOpen: false });
      p.open((err) => (err ? reject(err) : resolve(p)));
    });
  } catch (err) {
    return fail(`serial:${path}`, title, `cannot open (${(err as Error).message})`, 'stop the agent first (systemctl stop doorcast-agent) and check the dialout group');
  }
  const parser = new DoorlinkParser({ interByteTimeoutMs: 0 });
  let bytes = 0;
  let frames = 0;
  let errors = 0;
  let controller = '';
  port.on('data', (d: Buffer) => {
    bytes += d.length;
    parser.write(d);
  });
  parser.on('data', (item: { kind: 'message' | 'error'; message?: { type: string; controllerId?: string } }) => {
    if (item.kind === 'message') {
      frames++;
      if (item.message?.type === 'hello' && item.message.controllerId) controller = item.message.controllerId;
    } else errors++;
  });
  // Ask the controller to introduce itself (PROTOCOL.md §3.5). Events it then resends stay
  // unacknowledged here, so it keeps them for the agent.
  port.write(encode({ type: 'agent-hello', protocolVersion: PROTOCOL_VERSION }));
  await new Promise((r) => setTimeout(r, ms));
  await new Promise<void>((r) => port.close(() => r()));
  parser.destroy();
  const detail = `${bytes} bytes in ${ms / 1000} s: ${frames} doorlink frames, ${errors} framing errors${controller ? `, controller ${controller}` : ''}`;
  if (frames > 0) return pass(`serial:${path}`, title, detail);
  if (bytes > 0) return warn(`serial:${path}`, title, detail, `bytes but no valid frames: check the baud rate (${baudRate}) and that the controller speaks doorlink`);
  return warn(`serial:${path}`, title, detail, 'silent: check the cable (TX/RX crossed, GND), and that the controller is powered; it sends a heartbeat every 5 s');
}

export function checkGpio(sysfsRoot: string, chip: string | undefined, lines: readonly number[]): CheckResult {
  try {
    const c = pickChip(listChips(sysfsRoot), chip, sysfsRoot);
    const numbers = lines.map((l) => `${l}→gpio${sysfsNumber(c, l, 'line')}`);
    return pass('gpio', 'GPIO', `${c.name} (${c.label}), base ${c.base}, ${c.ngpio} lines; ${numbers.join(', ')}`);
  } catch (err) {
    if (err instanceof GpioError) return fail('gpio', 'GPIO', err.message, err.fix);
    throw err;
  }
}

/** The screen: the framebuffer's geometry, and a test pattern shown for `showMs`. */
export async function checkScreen(screen: NonNullable<AgentConfig['screen']>, showMs = 3000): Promise<CheckResult> {
  const title = 'screen';
  const { width, height } = screen.profile;
  const pattern = Buffer.alloc(width * height * 2);
  // Colour bars in rgb565le: the installer sees at a glance that the screen works.
  const bars = [0xffff, 0xffe0, 0x07ff, 0x07e0, 0xf81f, 0xf800, 0x001f, 0x0000];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pattern.writeUInt16LE(bars[Math.floor((x * bars.length) / width)]!, (y * width + x) * 2);
  const profile = { ...screen.profile, pixelFormat: 'rgb565le' as const };
  if (screen.sink === 'framebuffer') {
    try {
      const g = readFbGeometry(screen.device, screen.sysfsRoot);
      const sink = new FramebufferSink(screen.device, screen.sysfsRoot);
      sink.begin({ profile });
      sink.write(pattern);
      await new Promise((r) => setTimeout(r, showMs));
      await sink.close();
      return pass('screen', title, `${screen.device} ${g.width}x${g.height} ${g.bpp} bpp; colour bars shown for ${showMs / 1000} s`);
    } catch (err) {
      if (err instanceof SinkError) return fail('screen', title, err.message, 'check the display cable and its dtoverlay in /boot/firmware/config.txt, and the video group');
      throw err;
    }
  }
  if (screen.sink === 'snapshot') {
    const sink = new SnapshotSink({ dir: screen.snapshotDir! });
    sink.begin({ id: 'doctor', profile });
    sink.write(pattern, 0);
    sink.end();
    await sink.close();
    return pass('screen', title, `no screen configured; test pattern written to ${sink.lastPng}`);
  }
  return skip('screen', title, 'null sink configured');
}

/** Connects with the device's own credentials, as the agent will. */
export async function checkBroker(credentialsFile: string, timeoutMs = 5000): Promise<CheckResult> {
  const title = 'broker';
  let b: ReturnType<typeof loadCredentials>;
  try {
    b = loadCredentials(credentialsFile);
  } catch (err) {
    return fail('broker', title, (err as Error).message, 'run doorcast provision, or copy the bundle from `doorcast-broker device add` (chmod 600)');
  }
  try {
    // The broker binds each credential to its client id and allows <id>/doctor beside it
    // (CLOUD-LINK.md §3.4), so a running agent's persistent session is left alone.
    const c = await connectAsync(b.brokerUrl, { clientId: `${b.clientId}/doctor`, clean: true, username: b.username, password: b.password, reconnectPeriod: 0, connectTimeout: timeoutMs, protocolVersion: 4, rejectUnauthorized: true });
    await c.endAsync(true);
    return pass('broker', title, `${b.brokerUrl} accepts ${b.username}${b.brokerUrl.startsWith('mqtts') || b.brokerUrl.startsWith('wss') ? ' over verified TLS' : ''}`);
  } catch (err) {
    const m = (err as Error).message;
    const fix = /Not authorized|Bad username|bad user|Identifier rejected/i.test(m)
      ? 'the credential was rotated or revoked: issue a new bundle (doorcast-broker device rotate)'
      : /certificate|self.signed|CERT/i.test(m)
        ? 'TLS: install the broker CA (cloud.caFile) or fix the broker certificate name'
        : 'network: check the uplink (ping the broker host) and that port is open in the site firewall';
    return fail('broker', title, `${b.brokerUrl}: ${m}`, fix);
  }
}

export function checkManifest(version: number | undefined): CheckResult {
  if (!version) return warn('manifest', 'manifest', 'none yet: the screen plays nothing until one arrives', 'check the broker check above; the cloud publishes a manifest once the device is registered');
  return pass('manifest', 'manifest', `version ${version}`);
}
