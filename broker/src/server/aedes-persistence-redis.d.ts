// aedes-persistence-redis ships no types: the part aedes-backend.ts uses (its async interface,
// which aedes 1.x requires).
declare module 'aedes-persistence-redis/asyncPersistence.js' {
  import type { Redis } from 'ioredis';

  export default class AsyncRedisPersistence {
    constructor(options: { conn: Redis; maxSessionDelivery?: number; packetTTL?: (packet: unknown) => number });
    setup(broker: unknown): Promise<void>;
    addSubscriptions(client: unknown, subs: readonly object[]): Promise<void>;
    createRetainedStream(pattern: string): AsyncIterable<unknown>;
    createRetainedStreamCombi(patterns: string[]): AsyncIterable<unknown>;
    /** Unsubscribes from the broker and disconnects; throws if called twice. */
    destroy(): Promise<void>;
  }
}
