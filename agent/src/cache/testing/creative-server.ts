// A local creative server for tests (CLOUD-LINK.md §7 shape) that misbehaves on request:
// cuts the connection after N bytes, ignores Range, answers the wrong range, sends other
// bytes or more bytes than announced, stalls, or fails with a status.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface Fault {
  /** Cut the next `times` responses (default 1) after this many body bytes. */
  cutAfter?: number;
  times?: number;
  ignoreRange?: boolean;
  /** Answer 206 with a range starting here instead of the one asked for. */
  wrongRangeStart?: number;
  /** Serve this instead of the real file (Content-Length follows it). */
  body?: Buffer;
  /** Append this many extra bytes; `lie` keeps Content-Length at the true size (chunked otherwise). */
  extra?: number;
  lie?: boolean;
  /** Send headers and this many bytes, then nothing. */
  stallAfter?: number;
  status?: number;
}

export interface CreativeServer {
  base: string;
  files: Map<string, Buffer>;
  faults: Map<string, Fault>;
  requests: { path: string; range: string | undefined; authorization: string | undefined }[];
  close(): Promise<void>;
}

export async function startCreativeServer(): Promise<CreativeServer> {
  const files = new Map<string, Buffer>();
  const faults = new Map<string, Fault>();
  const requests: CreativeServer['requests'] = [];
  const sockets = new Set<Socket>();
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '';
    requests.push({ path, range: req.headers.range, authorization: req.headers.authorization });
    const f = faults.get(path);
    if (f?.status) return void res.writeHead(f.status).end();
    const real = files.get(path);
    if (!real) return void res.writeHead(404).end();
    let body = f?.body ?? real;
    if (f?.extra) body = Buffer.concat([body, Buffer.alloc(f.extra, 0x55)]);
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    let start = m && !f?.ignoreRange ? Number(m[1]) : 0;
    if (start >= body.length && m) return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
    if (m && f?.wrongRangeStart !== undefined) start = f.wrongRangeStart;
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
    if (!(f?.extra && !f.lie)) headers['content-length'] = (f?.lie ? real.length : body.length) - start;
    if (start > 0 || (m && !f?.ignoreRange)) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(start > 0 || (m && !f?.ignoreRange) ? 206 : 200, headers);
    const rest = body.subarray(start);
    if (f?.stallAfter !== undefined) return void res.write(rest.subarray(0, f.stallAfter));
    if (f?.cutAfter !== undefined && (f.times ?? 1) > 0) {
      f.times = (f.times ?? 1) - 1;
      // Cut a moment after the bytes went out, as a dropped link would (the client has them).
      res.write(rest.subarray(0, f.cutAfter), () => setTimeout(() => res.destroy(), 30));
      return;
    }
    res.end(rest);
  };
  const server: Server = createServer(handle);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    base: `http://127.0.0.1:${port}`,
    files,
    faults,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
