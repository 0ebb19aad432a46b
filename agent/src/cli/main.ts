// `doorcast`: the agent's command line. Exit codes follow sysexits(3) where they fit, so a
// systemd unit and an installer's script can tell a bad config (78) from a crash (1).
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import { formatResults } from '../doctor/check.js';
import { runDoctor } from '../doctor/doctor.js';
import { initKeyFile, KeyFileError, rotateKeyFile } from '../identity/keys.js';
import { createLogger } from '../obs/log.js';
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
    if (err instanceof ConfigError || err instanceof KeyFileError) {
      process.stderr.write(`${err.message}\n`);
      return EXIT.config;
    }
    createLogger().fatal({ err }, 'doorcast failed');
    return EXIT.failure;
  }
  return code;
}
