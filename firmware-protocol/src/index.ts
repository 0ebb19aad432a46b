export * from './constants.js';
export { crc8, crc16 } from './crc.js';
export { EncodeError, FrameError, type FrameErrorCode } from './errors.js';
export { decode, decodeFrame, encode, encodeFrame } from './frame.js';
export * from './json.js';
export * from './message.js';
export { type Decoded, DoorlinkParser, type ParserCounters, type ParserOptions } from './parser.js';
