// Size limits of the cloud link. A sender must stay inside them; a receiver rejects anything
// outside them with a reason and changes nothing. CLOUD-LINK.md §4.

/** Largest payload a device may publish on an up topic (impressions, door-counts, state). */
export const MAX_UP_PAYLOAD_BYTES = 256 * 1024;
/** Largest signed manifest envelope (consent and opt-out lists dominate). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Largest ack or command payload. */
export const MAX_CONTROL_PAYLOAD_BYTES = 64 * 1024;
/** Records per impressions or door-counts batch. A batch must also fit MAX_UP_PAYLOAD_BYTES. */
export const MAX_BATCH_RECORDS = 500;
/** Segments on one impression. */
export const MAX_SEGMENTS = 32;
/** Creatives, segment rules and quiet-hour windows in one manifest. */
export const MAX_MANIFEST_CREATIVES = 1000;
export const MAX_MANIFEST_RULES = 1000;
/** Consent and opt-out pseudonyms in one manifest. */
export const MAX_MANIFEST_PSEUDONYMS = 20_000;
/** Largest creative the manifest may reference (bytes). */
export const MAX_CREATIVE_BYTES = 512 * 1024 * 1024;
