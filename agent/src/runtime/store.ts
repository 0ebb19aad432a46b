// Opens the agent's store in its state directory.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentConfig } from '../config/schema.js';
import type { Logger } from '../obs/log.js';
import type { Registry } from '../obs/metrics.js';
import { Store } from '../store/index.js';

export function openAgentStore(config: AgentConfig, log: Logger, registry: Registry): Store {
  mkdirSync(config.stateDir, { recursive: true, mode: 0o750 });
  return new Store({ path: join(config.stateDir, 'agent.db'), budget: config.store, log, registry });
}
