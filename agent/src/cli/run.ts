// `doorcast run`: start the agent, stop cleanly on SIGTERM/SIGINT (finish the current
// transaction, close the database), and let systemd restart us on anything unexpected.
import { ConfigError, loadConfig } from '../config/load.js';
import { KeyFileError } from '../identity/keys.js';
import { createLogger } from '../obs/log.js';
import { Agent } from '../runtime/agent.js';
import { openAgentStore } from '../runtime/store.js';
import { CredentialsError } from '../sync/credentials.js';

export async function runAgent(configFile: string): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(configFile);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 78;
    }
    throw err;
  }
  const log = createLogger(config.log.level);
  const agent = new Agent(config, { log, openStore: openAgentStore });
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; exiting for systemd to restart');
    process.exit(1);
  });
  try {
    await agent.start();
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'agent failed to start');
    await agent.stop().catch(() => {});
    return err instanceof KeyFileError || err instanceof CredentialsError ? 78 : 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log.info('stopping');
  await agent.stop();
  return 0;
}
