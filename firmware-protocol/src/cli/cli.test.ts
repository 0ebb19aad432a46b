import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';
import { describe, expect, it } from 'vitest';
import { openPtyPair, waitFor } from '../../../test/support/pty.js';
import { encode } from '../frame.js';
import { DoorlinkParser } from '../parser.js';

const bin = (name: string) => fileURLToPath(new URL(`../../bin/${name}.js`, import.meta.url));

function run(name: string, args: string[], stdin: Buffer | string): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin(name), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.end(stdin);
  });
}

const frames: { name: string; hex: string; message: unknown }[] = JSON.parse(readFileSync(new URL('../../vectors/frames.json', import.meta.url), 'utf8'));

describe('doorcast-proto', () => {
  it('decode: every golden frame, with garbage between, one JSON line each', async () => {
    const bytes = Buffer.concat(frames.flatMap((f) => [Buffer.from([0x00, 0x42]), Buffer.from(f.hex, 'hex')]));
    const r = await run('doorcast-proto', ['decode'], bytes);
    expect(r.code).toBe(0);
    const lines = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => !l.error).map((l) => l.message)).toEqual(frames.map((f) => f.message));
    expect(lines.filter((l) => l.error === 'garbage')).toHaveLength(frames.length);
  });

  it('decode --redact hides credentials', async () => {
    const unlock = frames.find((f) => f.name === 'unlock-card-granted')!;
    const r = await run('doorcast-proto', ['decode', '--redact'], Buffer.from(unlock.hex, 'hex'));
    expect(r.stdout.toString()).toContain('"credential":"<4 bytes>"');
    expect(r.stdout.toString()).not.toContain('04a1b2c3');
  });

  it('encode: JSON lines to the golden bytes', async () => {
    const r = await run('doorcast-proto', ['encode'], frames.map((f) => JSON.stringify(f.message)).join('\n'));
    expect(r.code).toBe(0);
    expect(r.stdout.toString('hex')).toBe(frames.map((f) => f.hex).join(''));
  });

  it('encode: a bad line names the field and sets the exit code; good lines still go out', async () => {
    const r = await run('doorcast-proto', ['encode'], '{"type":"ack","seq":1}\n{"type":"door-state","seq":2,"time":0,"door":99,"state":"closed"}\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 2: door: /);
    expect(r.stdout.toString('hex')).toBe('d5010c008162010000000e61');
  });

  it('usage on a bad command', async () => {
    const r = await run('doorcast-proto', ['frobnicate'], '');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage/);
  });
});

describe('doorcast-emulator', () => {
  it('rejects bad options with the option name', async () => {
    const r = await run('doorcast-emulator', ['--tcp', '127.0.0.1:0', '--doors', '40'], '');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--doors must be a number in 1\.\.16/);
  });

  it('generates traffic on a real pty until SIGTERM', async () => {
    const pty = await openPtyPair();
    const child = spawn(process.execPath, [bin('doorcast-emulator'), '--serial', pty.a, '--speed', '2000', '--seed', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const port = await new Promise<SerialPort>((res, rej) => {
        const p = new SerialPort({ path: pty.b, baudRate: 115200, autoOpen: false });
        p.open((e) => (e ? rej(e) : res(p)));
      });
      const parser = new DoorlinkParser();
      port.pipe(parser);
      let events = 0;
      parser.on('data', (d) => {
        if (d.kind === 'message' && (d.message.type === 'unlock' || d.message.type === 'door-state')) {
          events++;
          port.write(encode({ type: 'ack', seq: d.message.seq }));
        }
      });
      await waitFor(() => events >= 5, 'five events from the emulator CLI', 20_000);
      await new Promise<void>((r) => port.close(() => r()));
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await pty.close();
    }
  });
});
