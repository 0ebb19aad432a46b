// The cloud-link contract (firmware-protocol/src/cloud, CLOUD-LINK.md), in one place.
// Relative until firmware-protocol/package.json exports "./cloud"; then this line becomes
// `export * from '@doorcast/firmware-protocol/cloud'`.
export * from '../../firmware-protocol/src/cloud/index.js';
