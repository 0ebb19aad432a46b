// The parts of the cloud-link contract (CLOUD-LINK.md) the store must agree with, so that an
// impression it accepts is one the cloud accepts: a row the cloud would reject would sit in
// the outbox forever.
export { type ImpressionRecord, ImpressionRecordSchema, NameSchema, PseudonymSchema, UuidSchema } from '@doorcast/firmware-protocol/cloud';
