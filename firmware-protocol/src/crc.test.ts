import { describe, expect, it } from 'vitest';
import { crc8, crc16 } from './crc.js';

describe('crc', () => {
  const check = Buffer.from('123456789', 'ascii');
  it('CRC-16/IBM-3740 check value is 0x29B1', () => expect(crc16(check)).toBe(0x29b1));
  it('CRC-8/SMBUS check value is 0xF4', () => expect(crc8(check)).toBe(0xf4));
  it('honours start and end', () => {
    const padded = Buffer.concat([Buffer.from([1, 2]), check, Buffer.from([3])]);
    expect(crc16(padded, 2, 11)).toBe(0x29b1);
    expect(crc8(padded, 2, 11)).toBe(0xf4);
  });
  it('of nothing is the init value', () => {
    expect(crc16(Buffer.alloc(0))).toBe(0xffff);
    expect(crc8(Buffer.alloc(0))).toBe(0);
  });
});
