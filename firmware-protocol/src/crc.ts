// CRC-16/IBM-3740 (a.k.a. CRC-16/CCITT-FALSE): poly 0x1021, init 0xFFFF, no reflection,
// xorout 0, check("123456789") = 0x29B1. CRC-8/SMBUS: poly 0x07, init 0x00, check = 0xF4.
// Both table-driven; PROTOCOL.md §2.5 has a worked example.

const CRC16_TABLE = new Uint16Array(256);
const CRC8_TABLE = new Uint8Array(256);
for (let n = 0; n < 256; n++) {
  let c16 = n << 8;
  let c8 = n;
  for (let bit = 0; bit < 8; bit++) {
    c16 = c16 & 0x8000 ? ((c16 << 1) ^ 0x1021) & 0xffff : (c16 << 1) & 0xffff;
    c8 = c8 & 0x80 ? ((c8 << 1) ^ 0x07) & 0xff : (c8 << 1) & 0xff;
  }
  CRC16_TABLE[n] = c16;
  CRC8_TABLE[n] = c8;
}

/** CRC-16/IBM-3740 over data[start, end). */
export function crc16(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >>> 8) ^ data[i]!) & 0xff]!;
  }
  return crc;
}

/** CRC-8/SMBUS over data[start, end). */
export function crc8(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = CRC8_TABLE[crc ^ data[i]!]!;
  return crc;
}
