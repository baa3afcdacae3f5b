/**
 * Test helpers: a minimal valid GGUF file and a real HTTP server on 127.0.0.1 that serves it with
 * Range support, and can fail on purpose (drop the connection, answer slowly, ignore Range).
 */
import { createHash, randomBytes } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

function ggufString(s: string): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(s)));
  return Buffer.concat([len, Buffer.from(s)]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

/** GGUF v3: two metadata keys, one F32 tensor of `floats` elements, aligned to 32, random data. */
export function makeFakeGguf(floats = 64 * 1024): Buffer {
  const header = Buffer.concat([
    Buffer.from("GGUF"),
    u32(3),
    u64(1), // tensors
    u64(2), // metadata keys
    ggufString("general.architecture"),
    u32(8),
    ggufString("llama"),
    ggufString("general.alignment"),
    u32(4),
    u32(32),
    ggufString("t"),
    u32(1),
    u64(floats),
    u32(0), // F32
    u64(0),
  ]);
  const padded = Buffer.concat([header, Buffer.alloc((32 - (header.length % 32)) % 32)]);
  return Buffer.concat([padded, randomBytes(floats * 4)]);
}

export function sha256(buf: Buffer): string {
  return createHash("sha256").update(buf).digest("hex");
}

export interface SeenRequest {
  url: string;
  range: string | undefined;
  ifRange: string | undefined;
  authorization: string | undefined;
}

export interface FakeServerOptions {
  /** path -> body */
  files: Record<string, Buffer>;
  /** Fixed status for every request (e.g. 401, 404). */
  status?: number;
  /** Destroy the socket after this many body bytes, on the first `dropTimes` responses. */
  dropAfterBytes?: number;
  dropTimes?: number;
  /** Send the body in 16 KiB pieces with this delay between them. */
  chunkDelayMs?: number;
  ignoreRange?: boolean;
  /** path -> location: answer 302. */
  redirects?: Record<string, string>;
}

export interface FakeServer {
  endpoint: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export async function startFakeServer(options: FakeServerOptions): Promise<FakeServer> {
  const requests: SeenRequest[] = [];
  let drops = 0;
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? "");
    requests.push({ url, range: req.headers.range, ifRange: req.headers["if-range"] as string | undefined, authorization: req.headers.authorization });
    if (options.redirects?.[url]) {
      res.writeHead(302, { location: options.redirects[url] }).end();
      return;
    }
    if (options.status) {
      res.writeHead(options.status).end("nope");
      return;
    }
    const file = options.files[url];
    if (!file) {
      res.writeHead(404).end("Entry not found");
      return;
    }
    const etag = `"${sha256(file).slice(0, 16)}"`;
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (m && !options.ignoreRange) {
      start = Number(m[1]);
      if (start >= file.length) {
        res.writeHead(416, { "content-range": `bytes */${file.length}` }).end();
        return;
      }
      res.writeHead(206, { "content-length": file.length - start, "content-range": `bytes ${start}-${file.length - 1}/${file.length}`, etag });
    } else {
      res.writeHead(200, { "content-length": file.length, etag, "accept-ranges": "bytes" });
    }
    const body = file.subarray(start);
    const drop = options.dropAfterBytes !== undefined && drops < (options.dropTimes ?? 1);
    if (drop) {
      drops++;
      res.write(body.subarray(0, options.dropAfterBytes), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (!options.chunkDelayMs) {
      res.end(body);
      return;
    }
    let offset = 0;
    const pump = () => {
      if (res.destroyed) return;
      if (offset >= body.length) {
        res.end();
        return;
      }
      res.write(body.subarray(offset, offset + 16 * 1024));
      offset += 16 * 1024;
      setTimeout(pump, options.chunkDelayMs);
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
