import { describe, expect, it } from 'vitest';
import { PacketSizeGuard } from './packet-guard.js';

/** An MQTT packet of `total` bytes: header, remaining length varint, zero body. */
function packet(bodyLen: number): Buffer {
  const len: number[] = [];
  let x = bodyLen;
  do {
    let b = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) b |= 0x80;
    len.push(b);
  } while (x > 0);
  return Buffer.concat([Buffer.from([0x30, ...len]), Buffer.alloc(bodyLen)]);
}

describe('PacketSizeGuard', () => {
  it('passes packets up to the limit, in any chunking', () => {
    const stream = Buffer.concat([packet(0), packet(10), packet(200), packet(1000 - 3)]);
    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      const g = new PacketSizeGuard(1000);
      for (let i = 0; i < stream.length; i += size) expect(g.push(stream.subarray(i, i + size))).toBeNull();
    }
  });

  it('reports the first packet over the limit from its header alone', () => {
    const g = new PacketSizeGuard(1000);
    expect(g.push(packet(10))).toBeNull();
    // Only the fixed header of a 2 MB packet: 0x30, then 3 length bytes.
    const header = packet(2_000_000).subarray(0, 4);
    expect(g.push(header.subarray(0, 2))).toBeNull();
    expect(g.push(header.subarray(2))).toBe(2_000_004);
  });

  it('counts header bytes: limit + 1 is refused', () => {
    expect(new PacketSizeGuard(1000).push(packet(1000 - 3))).toBeNull();
    expect(new PacketSizeGuard(1000).push(packet(1000 - 2))).toBe(1001);
  });

  it('stops tracking on a malformed length (the parser rejects it)', () => {
    const g = new PacketSizeGuard(10);
    expect(g.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBeNull();
    expect(g.push(packet(1000))).toBeNull();
  });
});
