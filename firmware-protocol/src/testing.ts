// Test helpers shared by the codec tests (not exported from the package).
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { type Decoded, DoorlinkParser, type ParserOptions } from './parser.js';

/** Feeds chunks through a fresh parser and collects everything it pushes. */
export async function parseChunks(chunks: Buffer[], options: ParserOptions = { interByteTimeoutMs: 0 }) {
  const parser = new DoorlinkParser(options);
  const out: Decoded[] = [];
  parser.on('data', (d: Decoded) => out.push(d));
  await new Promise<void>((resolve, reject) => {
    Readable.from(chunks, { objectMode: false }).pipe(parser).on('finish', resolve).on('error', reject);
  });
  await new Promise<void>((resolve) => setImmediate(resolve));
  return { out, counters: parser.counters, parser };
}

export function summarise(out: Decoded[]): unknown[] {
  return out.map((d) => (d.kind === 'message' ? { message: d.message.type } : { error: d.error.code, bytes: d.error.bytes }));
}

/** The golden vectors (vectors/*.json), shared by the TS and C vector tests. */
export interface FrameVector {
  name: string;
  hex: string;
  message: unknown;
}
export interface StreamVector {
  name: string;
  hex: string;
  expect: unknown[];
}
export const loadVectors = <T>(file: string): T[] => JSON.parse(readFileSync(new URL(`../vectors/${file}`, import.meta.url), 'utf8'));
