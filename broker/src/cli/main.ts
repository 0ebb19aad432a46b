// doorcast-broker: run the broker, and manage devices, operators, creatives and campaigns in
// its state dir (a running broker picks changes up: see auth.recheckIntervalMs and
// manifest.refreshIntervalMs).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { makeBundle, publicUrls, writeBundleFile } from '../auth/bundle.js';
import { IdentityError, IdentityStore } from '../auth/identities.js';
import { deviceUsername, type Identity, operatorUsername } from '../auth/usernames.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { BrokerConfig } from '../config/schema.js';
import { CreativeError, CreativeStore } from '../creatives/creative-store.js';
import { openStateDb, type StateDb } from '../db/database.js';
import { Enrolments } from '../enrol/enrolments.js';
import { CampaignTable } from '../manifest/campaigns.js';
import { loadSigningKey } from '../manifest/signing-key.js';
import { AccountStore, accountOptions } from '../market/accounts.js';
import { MarketError } from '../market/errors.js';
import { createLogger, silentLogger } from '../obs/log.js';
import { FleetRegistry } from '../registry/fleet.js';
import { startBroker } from '../server/broker.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  stopSignal(): Promise<void>;
}

const processIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  stopSignal: () =>
    new Promise((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }),
};

class UsageError extends Error {}

/** Runs the CLI; resolves to the exit code (0 ok, 1 failure, 2 bad usage or config). */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code = 0;
  const program = new Command('doorcast-broker')
    .description('doorcast cloud broker: MQTT (TCP, TLS, WebSocket), ingestion, manifests, creatives')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  const withConfig = (c: Command) => c.requiredOption('-c, --config <file>', 'broker YAML config');

  withConfig(program.command('serve', { isDefault: true }).description('run the broker until SIGINT/SIGTERM')).action(async (o: { config: string }) => {
    const config = loadConfig(o.config);
    const log = createLogger(config.log.level);
    let stopping = false;
    // While a clustered node shuts down, aedes and its Redis persistence still send a few
    // commands on connections already closed; ioredis rejects them, unhandled. That is the
    // shutdown, not a failure: a stop must exit 0. Anything else stays fatal, as by default.
    process.on('unhandledRejection', (reason) => {
      if (stopping && reason instanceof Error && reason.message === 'Connection is closed.') return log.debug({ err: reason.message }, 'redis command after close ignored');
      log.fatal({ err: reason }, 'unhandled rejection');
      process.exit(1);
    });
    const broker = await startBroker(config, { logger: log });
    io.err(`doorcast-broker: mqtt ${broker.mqttPort ?? '-'} mqtts ${broker.tlsPort ?? '-'} http ${broker.httpPort}, manifest key ${broker.signingKey.keyId}\n`);
    await io.stopSignal();
    stopping = true;
    await broker.stop();
  });

  const device = program.command('device').description('device credentials');
  const siteDevice = (c: Command) => withConfig(c).requiredOption('--site <id>', 'site id').requiredOption('--device <id>', 'device id');
  siteDevice(device.command('add').description('provision a device; prints its one-time credential bundle'))
    .option('-o, --out <file>', 'write the bundle to this new file (mode 0600) instead of stdout')
    .action(async (o: { config: string; site: string; device: string; out?: string }) =>
      withState(o.config, async (s) => {
        refuseExisting(o.out);
        const r = await s.identities.addDevice(o.site, o.device);
        await s.fleet.register({ site: o.site, device: o.device });
        await emitBundle(io, s, r, o.out);
      }),
    );
  siteDevice(device.command('enrol').description('a one-time code an installer exchanges at the gate with `doorcast provision --code`'))
    .option('--ttl-hours <n>', 'how long the code stays valid', '72')
    .action(async (o: { config: string; site: string; device: string; ttlHours: string }) =>
      withState(o.config, async (s) => {
        const hours = Number(o.ttlHours);
        if (!(hours > 0 && hours <= 24 * 30)) throw new Error('--ttl-hours: a number of hours, at most 720');
        const e = await new Enrolments(s.db).create(o.site, o.device, hours * 3_600_000);
        io.out(`${e.code}\nvalid until ${e.expiresAt}, once, for ${o.site}/${o.device}\n`);
      }),
    );
  siteDevice(device.command('rotate').description('issue a new secret; the old one stops working'))
    .option('-o, --out <file>', 'write the bundle to this new file (mode 0600) instead of stdout')
    .action(async (o: { config: string; site: string; device: string; out?: string }) =>
      withState(o.config, async (s) => {
        refuseExisting(o.out);
        await emitBundle(io, s, await s.identities.rotate(deviceUsername(o.site, o.device)), o.out);
      }),
    );
  siteDevice(device.command('revoke').description('revoke a device; a running broker disconnects it')).action(async (o: { config: string; site: string; device: string }) =>
    withState(o.config, async (s) => {
      await s.identities.revoke(deviceUsername(o.site, o.device));
      io.out(`revoked ${deviceUsername(o.site, o.device)}\n`);
    }),
  );
  withConfig(device.command('list').description('the fleet, one JSON object per line')).action(async (o: { config: string }) =>
    withState(o.config, async (s) => {
      for (const d of await s.fleet.list()) io.out(`${JSON.stringify(d)}\n`);
    }),
  );

  const operator = program.command('operator').description('operator and service credentials');
  withConfig(operator.command('add').description('create an operator; prints its one-time credential bundle'))
    .requiredOption('--name <name>', 'operator name')
    .option('-o, --out <file>', 'write the bundle to this new file (mode 0600) instead of stdout')
    .action(async (o: { config: string; name: string; out?: string }) =>
      withState(o.config, async (s) => {
        refuseExisting(o.out);
        await emitBundle(io, s, await s.identities.addOperator(o.name), o.out);
      }),
    );
  withConfig(operator.command('revoke').description('revoke an operator'))
    .requiredOption('--name <name>', 'operator name')
    .action(async (o: { config: string; name: string }) =>
      withState(o.config, async (s) => {
        await s.identities.revoke(operatorUsername(o.name));
        io.out(`revoked ${operatorUsername(o.name)}\n`);
      }),
    );

  const account = program.command('account').description('console accounts (operators and merchants; API.md)');
  withConfig(account.command('add').description('create a console account; prints a generated password once unless --password-file is given'))
    .requiredOption('--email <email>', 'sign-in email')
    .requiredOption('--name <name>', 'the person')
    .option('--role <role>', 'operator or merchant', 'operator')
    .option('--password-file <file>', 'read the password from this file (first line)')
    .option('--shop <name>', 'merchant: the shop name')
    .option('--lat <deg>', 'merchant: shop latitude')
    .option('--lon <deg>', 'merchant: shop longitude')
    .action(async (o: { config: string; email: string; name: string; role: string; passwordFile?: string; shop?: string; lat?: string; lon?: string }) =>
      withState(o.config, async (s) => {
        const generated = o.passwordFile ? null : randomBytes(12).toString('base64url');
        const password = generated ?? readFileSync(o.passwordFile!, 'utf8').split('\n')[0]!.trim();
        const merchant = o.role === 'merchant' ? { name: o.shop ?? o.name, lat: Number(o.lat), lon: Number(o.lon) } : undefined;
        const a = await accountsOf(s).create({ email: o.email, name: o.name, role: o.role, password, ...(merchant ? { merchant } : {}) });
        io.out(`${JSON.stringify(a)}\n`);
        if (generated) io.err(`doorcast-broker: password for ${a.email}: ${generated}\n  (shown once; it is stored only as a hash)\n`);
      }),
    );
  withConfig(account.command('list').description('console accounts, one JSON object per line')).action(async (o: { config: string }) =>
    withState(o.config, async (s) => {
      for (const a of await accountsOf(s).list(10_000)) io.out(`${JSON.stringify(a)}\n`);
    }),
  );

  withConfig(program.command('creative').description('creatives hosted by sha256').command('add').description('host a creative; prints its sha256 and size'))
    .argument('<file>', 'video file')
    .action(async (file: string, o: { config: string }) => withState(o.config, async (s) => io.out(`${JSON.stringify(await s.creatives.addFile(file))}\n`)));

  const campaign = program.command('campaign').description('the campaign table manifests are compiled from');
  withConfig(campaign.command('set').description('add or replace a campaign from a JSON file'))
    .argument('<file>', 'JSON: { id, site, campaign, creatives, active? }')
    .action(async (file: string, o: { config: string }) => withState(o.config, async (s) => io.out(`${JSON.stringify(await s.campaigns.upsert(readJson(file)))}\n`)));
  withConfig(campaign.command('remove').description('remove a campaign'))
    .requiredOption('--id <id>', 'campaign id')
    .action(async (o: { config: string; id: string }) =>
      withState(o.config, async (s) => {
        if (!(await s.campaigns.remove(o.id))) throw new UsageError(`no campaign ${o.id}`);
      }),
    );
  withConfig(program.command('site').description('per-site manifest settings').command('set').description('a site’s timezone, segment rules, consent, opt-outs and quiet hours'))
    .requiredOption('--site <id>', 'site id')
    .argument('<file>', 'JSON: { timezone?, segmentRules?, consent?, optOuts?, quietHours? }')
    .action(async (file: string, o: { config: string; site: string }) => withState(o.config, async (s) => void (await s.campaigns.setSite(o.site, readJson(file)))));

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    code = report(io, err);
  }
  return code;
}

function report(io: CliIo, err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof ConfigError || err instanceof UsageError) {
    io.err(`doorcast-broker: ${err.message}\n`);
    return 2;
  }
  if (err instanceof z.ZodError) {
    io.err(`doorcast-broker: invalid input\n  ${err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('\n  ')}\n`);
    return 2;
  }
  if (err instanceof IdentityError || err instanceof CreativeError || err instanceof MarketError || err instanceof TypeError) {
    io.err(`doorcast-broker: ${err.message}\n`);
    return 1;
  }
  io.err(`doorcast-broker: ${(err as Error).stack ?? String(err)}\n`);
  return 1;
}

interface State {
  config: BrokerConfig;
  db: StateDb;
  identities: IdentityStore;
  fleet: FleetRegistry;
  campaigns: CampaignTable;
  creatives: CreativeStore;
}

async function withState(configFile: string, f: (s: State) => Promise<void>): Promise<void> {
  const config = loadConfig(configFile);
  // The same state the nodes use: the state dir's SQLite, or the cluster's PostgreSQL.
  const db = await openStateDb(config, silentLogger);
  try {
    await f({ config, db, identities: new IdentityStore(db), fleet: new FleetRegistry(db), campaigns: new CampaignTable(db), creatives: new CreativeStore(join(config.stateDir, 'creatives'), { shared: db }) });
  } finally {
    await db.close();
  }
}

const accountsOf = (s: State) => new AccountStore(s.db, accountOptions(s.config.market));

async function emitBundle(io: CliIo, s: State, r: { identity: Identity; secret: string }, out: string | undefined): Promise<void> {
  const c = s.config;
  const urls = publicUrls(c, { tcp: c.mqtt.tcp?.port ?? null, tls: c.mqtt.tls?.port ?? null, http: c.http.port });
  if (urls.brokerUrl.endsWith(':0') || urls.httpUrl.endsWith(':0')) io.err('doorcast-broker: warning: the config uses port 0; set publicUrls so devices can find the broker\n');
  const bundle = makeBundle(r.identity, r.secret, urls, await loadSigningKey(s.db, c.stateDir), new Date());
  if (out) {
    writeBundleFile(out, bundle);
    io.err(`doorcast-broker: credential bundle for ${r.identity.username} written to ${out} (0600); it is not stored anywhere else\n`);
  } else {
    io.out(`${JSON.stringify(bundle, null, 2)}\n`);
  }
}

/** Checked before a secret is issued, so a bundle is never lost to a failed write. */
function refuseExisting(out: string | undefined): void {
  if (out && existsSync(out)) throw new UsageError(`${out} exists; the bundle is written only to a new file`);
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message}`);
  }
}
