// `doorcast`: the agent's command line. Exit codes follow sysexits(3) where they fit, so a
// systemd unit and an installer's script can tell a bad config (78) from a crash (1).
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import { formatResults } from '../doctor/check.js';
import { runDoctor } from '../doctor/doctor.js';
import { initKeyFile, KeyFileError, rotateKeyFile } from '../identity/keys.js';
import { createLogger } from '../obs/log.js';
import { ProvisionError, provision } from '../provision/provision.js';
import { formatStatus, readStatus, type Status } from '../status/status.js';
import { confirmUpdate, guardStart } from '../update/guard.js';
import { ReleaseRoot, stageRelease } from '../update/release.js';
import { runAgent } from './run.js';

export const EXIT = { ok: 0, failure: 1, usage: 64, config: 78 } as const;

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command('doorcast')
    .description('doorcast agent: door events, the screen beside the door, proof of play')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('run')
    .description('run the agent')
    .requiredOption('-c, --config <file>', 'agent config (YAML)')
    .action(async (o: { config: string }) => {
      code = await runAgent(o.config);
    });

  program
    .command('config')
    .description('validate a config file and print it with defaults filled in')
    .requiredOption('-c, --config <file>', 'agent config (YAML)')
    .action((o: { config: string }) => {
      const c = loadConfig(o.config);
      process.stdout.write(`${JSON.stringify(c, null, 2)}\n`);
    });

  program
    .command('doctor')
    .description('check this box: config, controller links, GPIO, screen, ffmpeg, broker, clock, disk, SD card, power')
    .requiredOption('-c, --config <file>', 'agent config (YAML)')
    .option('--json', 'one JSON array of results, for scripts')
    .option('--listen <seconds>', 'how long to listen on each controller link', '3')
    .option('--show <seconds>', 'how long the test pattern stays on the screen', '3')
    .action(async (o: { config: string; json?: boolean; listen: string; show: string }) => {
      const tty = !o.json && process.stdout.isTTY;
      const results = await runDoctor(o.config, {
        listenMs: Number(o.listen) * 1000,
        showMs: Number(o.show) * 1000,
        onResult: tty ? (r) => process.stderr.write(`  … ${r.title}: ${r.status}\n`) : undefined,
      });
      process.stdout.write(o.json ? `${JSON.stringify(results, null, 2)}\n` : formatResults(results));
      code = results.some((r) => r.status === 'fail') ? EXIT.failure : EXIT.ok;
    });

  const collect = (v: string, prev: string[]) => [...prev, v];
  program
    .command('provision')
    .description('set this box up from a one-time enrolment code (or a credential bundle): config, keys, broker check')
    .option('--code <code>', 'the enrolment code from `doorcast-broker device enrol`')
    .option('--broker <url>', 'the broker’s HTTP address, e.g. https://cloud.example.com')
    .option('--bundle <file>', 'a credential bundle file instead of a code (offline provisioning)')
    .option('--dir <dir>', 'where the config and keys go', '/etc/doorcast')
    .option('--state-dir <dir>', 'the agent’s writable state', '/var/lib/doorcast')
    .option('--timezone <zone>', 'the site’s IANA time zone', Intl.DateTimeFormat().resolvedOptions().timeZone)
    .option('--serial <path>', 'a doorlink controller on a serial port (repeatable)', collect, [])
    .option('--tcp <host:port>', 'a doorlink controller behind a serial device server (repeatable)', collect, [])
    .option('--udp <port>', 'listen for UT0311-style controllers on this UDP port')
    .option('--door <id=n>', 'door id = the controller’s door number on the first source (repeatable)', collect, [])
    .option('--screen <sink>', 'framebuffer, snapshot or null', 'framebuffer')
    .option('--force', 'replace an existing provisioning')
    .action(async (o: { code?: string; broker?: string; bundle?: string; dir: string; stateDir: string; timezone: string; serial: string[]; tcp: string[]; udp?: string; door: string[]; screen: string; force?: boolean }) => {
      const interactive = process.stdin.isTTY || process.env.DOORCAST_INTERACTIVE === '1';
      if (interactive && !o.bundle && (!o.code || (!o.serial.length && !o.tcp.length && !o.udp))) {
        // At the gate, in the rain: ask for what is missing, with defaults, rather than fail on a flag.
        const rl = createInterface({ input: process.stdin, terminal: process.stdin.isTTY });
        // Lines are read in order from an iterator, so answers piped in ahead of the prompts
        // (scripts, tests) are not lost the way rl.question would lose them.
        const lines = rl[Symbol.asyncIterator]();
        const ask = async (q: string, def = '') => {
          process.stderr.write(def ? `${q} [${def}]: ` : `${q}: `);
          const r = await lines.next();
          return (r.done ? '' : String(r.value)).trim() || def;
        };
        if (!o.code) {
          o.broker ??= await ask('broker address (https://…)');
          o.code = await ask('enrolment code');
        }
        if (!o.serial.length && !o.tcp.length && !o.udp) {
          const link = await ask('controller link: a serial device, host:port (serial server) or udp:<port>', '/dev/doorcast-controller');
          if (link.startsWith('udp:')) o.udp = link.slice(4);
          else if (link.startsWith('/')) o.serial.push(link);
          else o.tcp.push(link);
          if (!o.door.length) o.door = (await ask('doors, as id=controller door number, comma-separated', 'door-1=1')).split(',').map((d) => d.trim());
          o.screen = await ask('screen: framebuffer, snapshot or null', o.screen);
          o.timezone = await ask('site time zone', o.timezone);
        }
        rl.close();
      }
      const sources: unknown[] = [
        ...o.serial.map((path, i) => ({ kind: 'serial', name: i ? `serial-${i + 1}` : 'main', path })),
        ...o.tcp.map((hp, i) => ({ kind: 'tcp', name: `tcp-${i + 1}`, host: hp.slice(0, hp.lastIndexOf(':')), port: Number(hp.slice(hp.lastIndexOf(':') + 1)) })),
        ...(o.udp ? [{ kind: 'udp-controller', name: 'udp', port: Number(o.udp), timezone: o.timezone }] : []),
      ];
      if (sources.length === 0) throw new CommanderError(EXIT.usage, 'doorcast.provision', 'name at least one door-event source (--serial, --tcp or --udp)');
      const first = (sources[0] as { name: string }).name;
      const doors = (o.door.length ? o.door : ['door-1=1']).map((d) => ({ id: d.split('=')[0], source: first, controllerDoor: Number(d.split('=')[1]) }));
      const r = await provision({
        enrol: o.code ? { url: o.broker ?? '', code: o.code } : undefined,
        bundle: o.bundle ? JSON.parse(readFileSync(o.bundle, 'utf8')) : undefined,
        configDir: o.dir,
        stateDir: o.stateDir,
        timezone: o.timezone,
        sources,
        doors,
        screen: { sink: o.screen },
        force: o.force,
      });
      process.stdout.write(`provisioned ${r.site}/${r.device}\n  config      ${r.configFile}\n  credentials ${r.credentialsFile} (0600)\n  site key    ${r.keyFile} (0600)\n`);
      process.stdout.write(formatResults([r.broker]));
      process.stdout.write(`next: doorcast doctor -c ${r.configFile}, then systemctl enable --now doorcast-agent\n`);
      code = r.broker.status === 'fail' ? EXIT.failure : EXIT.ok;
    });

  program
    .command('status')
    .description('what the box is busy with: backlog to sync, creatives ready, manifest (--watch: live, with progress)')
    .requiredOption('-c, --config <file>', 'agent config (YAML)')
    .option('--watch', 'refresh every second until Ctrl-C (or --for seconds)')
    .option('--for <seconds>', 'stop watching after this long')
    .action(async (o: { config: string; watch?: boolean; for?: string }) => {
      const c = loadConfig(o.config);
      let prev: { status: Status; atMs: number } | undefined;
      const tty = process.stdout.isTTY;
      const until = o.for ? Date.now() + Number(o.for) * 1000 : Number.POSITIVE_INFINITY;
      for (;;) {
        const now = Date.now();
        const st = readStatus(c.stateDir, now);
        const line = formatStatus(st, prev, now);
        process.stdout.write(tty && o.watch ? `\r\x1b[2K${line}` : `${line}\n`);
        prev = { status: st, atMs: now };
        if (!o.watch || Date.now() >= until) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      if (tty && o.watch) process.stdout.write('\n');
    });

  const update = program.command('update').description('agent releases: install, the start guard, confirm');
  update
    .command('guard')
    .description('run before each start (ExecStartPre): roll back a release that does not confirm')
    .option('--root <dir>', 'release root', '/var/lib/doorcast')
    .option('--base <dir>', 'the release the image installed', '/opt/doorcast/agent')
    .action((o: { root: string; base: string }) => {
      const r = guardStart(new ReleaseRoot(o.root), { base: o.base });
      if (r.action !== 'none') process.stderr.write(`doorcast update guard: ${JSON.stringify(r)}\n`);
    });
  update
    .command('confirm')
    .description('keep the running release')
    .option('--root <dir>', 'release root', '/var/lib/doorcast')
    .action((o: { root: string }) => {
      process.stdout.write(confirmUpdate(new ReleaseRoot(o.root)) ? 'confirmed\n' : 'nothing to confirm\n');
    });
  update
    .command('install')
    .description('fetch, verify and switch to a release (by hand; the cloud sends the same as a command)')
    .requiredOption('--version <v>')
    .requiredOption('--url <url>')
    .requiredOption('--sha256 <hex>')
    .requiredOption('--bytes <n>')
    .option('--root <dir>', 'release root', '/var/lib/doorcast')
    .action(async (o: { version: string; url: string; sha256: string; bytes: string; root: string }) => {
      const p = await stageRelease({ version: o.version, url: o.url, sha256: o.sha256, bytes: Number(o.bytes) }, new ReleaseRoot(o.root));
      process.stdout.write(`switched to ${p.to}; restart the service, it rolls back unless it confirms\n`);
    });

  const keys = program.command('keys').description('the site pseudonymisation key file');
  keys
    .command('init')
    .requiredOption('-f, --file <path>', 'key file to create (mode 0600)')
    .option('--id <id>', 'key id', 'k1')
    .action((o: { file: string; id: string }) => {
      initKeyFile(o.file, o.id);
      process.stdout.write(`created ${o.file} with key ${o.id}\n`);
    });
  keys
    .command('rotate')
    .requiredOption('-f, --file <path>', 'key file')
    .requiredOption('--id <id>', 'new key id')
    .action((o: { file: string; id: string }) => {
      rotateKeyFile(o.file, o.id);
      process.stdout.write(`key ${o.id} is now current in ${o.file}; earlier pseudonyms are not linkable to new ones\n`);
    });

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof ProvisionError) {
      process.stderr.write(`doorcast provision: ${err.message}\n`);
      return err.code === 'invalid' || err.code === 'exists' ? EXIT.config : EXIT.failure;
    }
    if (err instanceof ConfigError || err instanceof KeyFileError) {
      process.stderr.write(`${err.message}\n`);
      return EXIT.config;
    }
    createLogger().fatal({ err }, 'doorcast failed');
    return EXIT.failure;
  }
  return code;
}
