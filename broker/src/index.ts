// @doorcast/broker: the cloud side of the doorcast link. CLOUD-LINK.md.
export { makeBundle, publicUrls, writeBundleFile } from './auth/bundle.js';
export { IdentityError, IdentityStore } from './auth/identities.js';
export { deviceUsername, type Identity, operatorUsername } from './auth/usernames.js';
export { ConfigError, loadConfig, parseConfig } from './config/load.js';
export { type BrokerConfig, type BrokerConfigInput, ConfigSchema } from './config/schema.js';
export { CreativeStore } from './creatives/creative-store.js';
export { type CampaignInput, CampaignTable, type SiteSettingsInput } from './manifest/campaigns.js';
export { ManifestPublisher } from './manifest/publisher.js';
export { type DeviceStatus, FleetRegistry } from './registry/fleet.js';
export { type RunningBroker, type StartOptions, startBroker } from './server/broker.js';
export type { CommitResult, ImpressionStore, StoredDoorCount, StoredImpression } from './store/impression-store.js';
export { StoreError } from './store/impression-store.js';
export { SqliteImpressionStore } from './store/sqlite-impression-store.js';
