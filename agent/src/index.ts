// What other packages (the demo, end-to-end tests) use of the agent.
export { loadConfig, parseConfig } from './config/load.js';
export type { AgentConfig } from './config/schema.js';
export type { ClosedWindow, DwellWindow } from './door/dwell.js';
export { initKeyFile } from './identity/keys.js';
export { locate } from './media/ffmpeg.js';
export { createLogger, silentLogger } from './obs/log.js';
export { Agent } from './runtime/agent.js';
export { openAgentStore } from './runtime/store.js';
