// The cloud-link contract (firmware-protocol/src/cloud, CLOUD-LINK.md), in one place.
export * from '@doorcast/firmware-protocol/cloud';
