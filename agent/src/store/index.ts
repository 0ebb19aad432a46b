export type { Budget, BudgetReport } from './budget.js';
export type { CounterDelta, ResidentCounts } from './counters.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export type { OutboxRow } from './outbox.js';
export type { CachedManifest } from './state.js';
export { Store, type StoreOptions } from './store.js';
