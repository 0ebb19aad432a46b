// The cloud-link contract shared by agent and broker. Normative text: CLOUD-LINK.md.
export * from './ack.js';
export * from './batch-packing.js';
export * from './canonical-json.js';
export * from './command.js';
export * from './credentials.js';
export * from './door-counts.js';
export * from './examples.js';
export * from './ids.js';
export * from './impressions.js';
export * from './limits.js';
export * from './manifest.js';
export * from './payload.js';
export * from './seq-ranges.js';
export * from './signing.js';
export * from './state.js';
export * from './topics.js';
