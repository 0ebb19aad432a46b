// Test helpers shared by the codec tests (not exported from the package).
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
