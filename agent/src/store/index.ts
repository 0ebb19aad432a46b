export type { Budget, BudgetReport } from './budget.js';
export type { BootRecord } from './clock-correction.js';
export type { PlayCounts, ResidentCounts } from './counters.js';
export type { Insertion } from './door-events.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { SCHEMA_VERSION } from './migrations.js';
export type { CachedManifest, CounterDelta, Play, QueuedImpression, Stamp } from './records.js';
export type { IntegrityCheck } from './recovery.js';
export { Store, type StoreOptions } from './store.js';
