// A passive watcher of the bytes a client sends that closes the connection as soon as a fixed
// header announces an MQTT packet over the limit — before the parser buffers it. aedes has no
// packet size limit of its own, and MQTT 3.1.1 allows 256 MB packets (§2.2.3).
import type { Duplex } from 'node:stream';

/** Tracks packet boundaries: fixed header byte, 1–4 byte remaining length [MQTT-2.2.3], body. */
export class PacketSizeGuard {
  #state: 'type' | 'length' | 'body' | 'off' = 'type';
  #length = 0;
  #multiplier = 1;
  #lengthBytes = 0;
  #remaining = 0;

  constructor(readonly maxBytes: number) {
    if (!(maxBytes > 0)) throw new TypeError('maxBytes must be > 0');
  }

  /** Feeds bytes in order; returns the total size of a packet over the limit, or null. */
  push(chunk: Uint8Array): number | null {
    let i = 0;
    while (i < chunk.length) {
      switch (this.#state) {
        case 'off':
          return null;
        case 'type':
          i++;
          this.#state = 'length';
          this.#length = 0;
          this.#multiplier = 1;
          this.#lengthBytes = 0;
          break;
        case 'length': {
          const b = chunk[i++]!;
          this.#length += (b & 0x7f) * this.#multiplier;
          this.#multiplier *= 128;
          this.#lengthBytes++;
          if (b & 0x80) {
            // A fifth length byte is malformed; the MQTT parser will reject it, stop tracking.
            if (this.#lengthBytes === 4) this.#state = 'off';
            break;
          }
          const total = 1 + this.#lengthBytes + this.#length;
          if (total > this.maxBytes) return total;
          this.#remaining = this.#length;
          this.#state = this.#remaining > 0 ? 'body' : 'type';
          break;
        }
        case 'body': {
          const n = Math.min(this.#remaining, chunk.length - i);
          i += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = 'type';
          break;
        }
      }
    }
    return null;
  }
}

/**
 * Watches `stream` without taking over its flow: attached after aedes.handle(), whose 'readable'
 * listener keeps control; 'data' then fires for each chunk aedes reads.
 */
export function guardPacketSize(stream: Duplex, maxBytes: number, onOversize: (bytes: number) => void): void {
  const guard = new PacketSizeGuard(maxBytes);
  const onData = (chunk: Buffer) => {
    const over = guard.push(chunk);
    if (over !== null) {
      stream.off('data', onData);
      onOversize(over);
      stream.destroy();
    }
  };
  stream.on('data', onData);
}
