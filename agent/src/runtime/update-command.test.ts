// The update command end to end: the cloud sends it over MQTT, the agent fetches and verifies
// the package, switches `current` and asks to be restarted; a bad hash is refused in place.
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestBroker, until } from '../../../broker/src/testing.js';
import { parseConfig } from '../config/load.js';
import { initKeyFile } from '../identity/keys.js';
import { silentLogger } from '../obs/log.js';
import { Agent } from './agent.js';
import { openAgentStore } from './store.js';

describe('update command from the cloud', () => {
  it('stages the release, restarts into it; a bad hash leaves the running release', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-upd-'));
    const src = join(dir, 'pkg');
    mkdirSync(join(src, 'bin'), { recursive: true });
    writeFileSync(join(src, 'bin', 'doorcast.js'), 'console.log("9.9.9")\n');
    execFileSync('tar', ['-czf', join(dir, 'r.tgz'), '-C', src, '.']);
    const body = readFileSync(join(dir, 'r.tgz'));
    const http = createServer((_req, res) => res.writeHead(200, { 'content-length': body.length }).end(body));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(http.address() as { port: number }).port}/r.tgz`;
    const broker = await startTestBroker();
    const base = join(dir, 'opt');
    mkdirSync(join(base, 'bin'), { recursive: true });
    writeFileSync(join(dir, 'cred.json'), JSON.stringify(await broker.addDevice('maple', 'gate-1')), { mode: 0o600 });
    initKeyFile(join(dir, 'keys.json'));
    const config = parseConfig({
      version: 1,
      device: { id: 'gate-1', site: 'maple' },
      stateDir: join(dir, 'state'),
      keyFile: join(dir, 'keys.json'),
      site: { timezone: 'UTC' },
      sources: [{ kind: 'sim', name: 'demo', speed: 60, doors: 1 }],
      doors: [{ id: 'east', source: 'demo', controllerDoor: 1 }],
      metrics: { enabled: false },
      clock: { sync: 'assume-synced' },
      cloud: { credentialsFile: join(dir, 'cred.json'), backoff: { baseMs: 50, capMs: 200 } },
      update: { root: join(dir, 'state'), base, confirmAfterMs: 60_000 },
    });
    let restarts = 0;
    const agent = new Agent(config, { log: silentLogger, openStore: openAgentStore, restart: () => restarts++ });
    await agent.start();
    const ref = { site: 'maple', device: 'gate-1' };
    const cmd = (sha256: string, version: string) => ({ cmdId: randomUUID(), name: 'update' as const, issuedAt: new Date().toISOString(), release: { version, url, sha256, bytes: body.length } });
    try {
      await until(() => agent.cloud?.link.connected ?? false, 10_000, 'linked');
      await broker.sendCommand(ref, cmd('0'.repeat(64), '9.9.8'));
      await new Promise((r) => setTimeout(r, 500));
      expect(restarts).toBe(0);
      await broker.sendCommand(ref, cmd(createHash('sha256').update(body).digest('hex'), '9.9.9'));
      await until(() => restarts === 1, 10_000, 'restart requested');
      expect(readlinkSync(join(dir, 'state', 'current'))).toBe(join(dir, 'state', 'releases', '9.9.9'));
      expect(execFileSync(process.execPath, [join(dir, 'state', 'current', 'bin', 'doorcast.js')], { encoding: 'utf8' }).trim()).toBe('9.9.9');
    } finally {
      await agent.stop();
      await broker.destroy();
      await new Promise((r) => http.close(r));
    }
  });
});
