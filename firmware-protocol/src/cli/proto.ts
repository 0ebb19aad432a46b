// doorcast-proto: drive the codec from any tool.
//   decode: bytes on stdin → one JSON object per line per message or error
//   encode: JSON lines on stdin → frames on stdout (bad lines reported on stderr with the
//           field path; good lines still encoded; exit 1 if any line was bad)
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { EncodeError } from '../errors.js';
import { encode } from '../frame.js';
import { describeIssues, fromJson, toJson } from '../json.js';
import { type Decoded, DoorlinkParser } from '../parser.js';

const USAGE = `usage: doorcast-proto decode [--redact] < bytes
       doorcast-proto encode < json-lines > bytes`;

export async function decode(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, redact: boolean): Promise<void> {
  const parser = new DoorlinkParser();
  await pipeline(
    input,
    parser,
    new Writable({
      objectMode: true,
      write(d: Decoded, _enc, done) {
        let line: unknown;
        if (d.kind === 'error') line = { error: d.error.code, bytes: d.error.bytes, detail: d.error.message };
        else {
          const j = toJson(d.message);
          line = { message: redact && j.type === 'unlock' ? { ...j, credential: `<${j.credential.length / 2} bytes>` } : j };
        }
        output.write(`${JSON.stringify(line)}\n`, () => done());
      },
    }),
  );
}

export async function encodeLines(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, errors: NodeJS.WritableStream): Promise<number> {
  let bad = 0;
  let n = 0;
  for await (const raw of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    n++;
    const text = raw.trim();
    if (!text) continue;
    try {
      output.write(encode(fromJson(JSON.parse(text))));
    } catch (err) {
      bad++;
      const why = err instanceof z.ZodError ? describeIssues(err) : err instanceof EncodeError || err instanceof SyntaxError ? err.message : String(err);
      errors.write(`line ${n}: ${why}\n`);
    }
  }
  return bad;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...flags] = argv;
  if (cmd === 'decode') {
    await decode(process.stdin, process.stdout, flags.includes('--redact'));
    return 0;
  }
  if (cmd === 'encode') return (await encodeLines(process.stdin, process.stdout, process.stderr)) > 0 ? 1 : 0;
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

if (process.argv[1]?.includes('doorcast-proto')) process.exitCode = await main(process.argv.slice(2));
