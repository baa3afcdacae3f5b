/**
 * A real HTTP server on 127.0.0.1 that serves GGUF files the way Hugging Face (or a mirror of it)
 * does, for the downloader's unit tests and the real-VS-Code download scenarios: Range requests,
 * ETags, optional HF-style redirects to a "CDN" path that carry X-Linked-Etag (SHA-256) and
 * X-Linked-Size, and failures on purpose: a fixed status, slow bodies, and a transfer held at a
 * byte offset until the test drops the connection or lets it go on. A drop is in the test's hands
 * (after the client has the bytes on disk) because a client loses body bytes it had not read yet
 * when the connection closes, so a drop on a timer would make the resume offset a matter of luck.
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

/** `${endpoint}${resolvePath(repo, file)}` is where a client following the HF layout asks for a file. */
export function resolvePath(repo: string, file: string, revision = "main"): string {
  return `/${repo}/resolve/${revision}/${file}`;
}

export interface SeenRequest {
  url: string;
  range: string | undefined;
  ifRange: string | undefined;
  authorization: string | undefined;
  /** The status this server answered. */
  status: number;
}

export interface ServedFile {
  body: Buffer;
  /** What the HF-style redirect declares (X-Linked-Etag / X-Linked-Size); default: the body's own. */
  declaredSha256?: string;
  declaredSize?: number;
}

export interface FakeServerOptions {
  /** URL path -> body (or body with what to declare for it). */
  files: Record<string, Buffer | ServedFile>;
  /** Fixed status for every request (e.g. 401, 404). */
  status?: number;
  /** Send the body in `chunkBytes` pieces (default 16 KiB) with this delay between them. */
  chunkDelayMs?: number;
  chunkBytes?: number;
  ignoreRange?: boolean;
  /** path -> location: answer 302. */
  redirects?: Record<string, string>;
  /**
   * Answer a file's path with a 302 to /cdn/<sha256> carrying X-Linked-Etag and X-Linked-Size,
   * as huggingface.co does for LFS files; the bytes come from the /cdn/ path.
   */
  hfRedirects?: boolean;
}

/** A transfer held at a byte offset: the test drops the connection or lets it go on. */
export interface HeldTransfer {
  /** Resolves with the file offset once that many bytes were written and the response waits. */
  reached: Promise<number>;
  /** Closes the connection mid-body (the client sees the server close it early). */
  drop(): void;
  /** Sends the rest. */
  resume(): void;
  /** Resolves when the client closed the connection (e.g. the user cancelled). */
  clientClosed: Promise<void>;
}

export interface FakeServer {
  endpoint: string;
  requests: SeenRequest[];
  /** Adds or replaces a file (path as in `files`). */
  setFile(urlPath: string, file: Buffer | ServedFile): void;
  /** The next response whose body passes `offset` (a byte offset in the file) stops there and waits. */
  holdNextAt(offset: number): HeldTransfer;
  /** Answer every request with this status from now on (null: serve files again). */
  setStatus(status: number | null): void;
  close(): Promise<void>;
}

interface Hold {
  at: number;
  taken: boolean;
  reached: (offset: number) => void;
  go: Promise<"resume" | "drop">;
  closed: () => void;
}

export async function startFakeServer(options: FakeServerOptions): Promise<FakeServer> {
  const requests: SeenRequest[] = [];
  const files = new Map<string, ServedFile>(
    Object.entries(options.files).map(([k, v]) => [k, Buffer.isBuffer(v) ? { body: v } : v]),
  );
  let status = options.status ?? null;
  let hold: Hold | null = null;
  const cdn = (f: ServedFile) => `/cdn/${sha256(f.body)}`;

  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? "");
    const seen: SeenRequest = {
      url,
      range: req.headers.range,
      ifRange: req.headers["if-range"] as string | undefined,
      authorization: req.headers.authorization,
      status: 0,
    };
    requests.push(seen);
    const answer = (code: number, headers: http.OutgoingHttpHeaders = {}) => {
      seen.status = code;
      res.writeHead(code, headers);
    };
    if (options.redirects?.[url]) {
      answer(302, { location: options.redirects[url] });
      res.end();
      return;
    }
    if (status !== null) {
      answer(status);
      res.end("nope");
      return;
    }
    let file = files.get(url);
    if (file && options.hfRedirects) {
      answer(302, {
        location: cdn(file),
        "x-linked-etag": `"${file.declaredSha256 ?? sha256(file.body)}"`,
        "x-linked-size": String(file.declaredSize ?? file.body.length),
      });
      res.end();
      return;
    }
    if (!file && options.hfRedirects && url.startsWith("/cdn/")) file = [...files.values()].find((f) => cdn(f) === url);
    if (!file) {
      answer(404);
      res.end("Entry not found");
      return;
    }
    const body = file.body;
    const etag = `"${sha256(body).slice(0, 16)}"`;
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (m && !options.ignoreRange) {
      start = Number(m[1]);
      if (start >= body.length) {
        answer(416, { "content-range": `bytes */${body.length}` });
        res.end();
        return;
      }
      answer(206, {
        "content-length": body.length - start,
        "content-range": `bytes ${start}-${body.length - 1}/${body.length}`,
        etag,
      });
    } else {
      answer(200, { "content-length": body.length, etag, "accept-ranges": "bytes" });
    }
    const myHold = hold && !hold.taken && hold.at > start && hold.at < body.length ? hold : null;
    if (myHold) {
      myHold.taken = true;
      hold = null;
      res.on("close", () => myHold.closed());
    }
    // A half-close after the bytes already written: unlike a reset, it never discards them in flight.
    const hangUp = () => {
      res.socket?.end();
      setTimeout(() => res.socket?.destroy(), 1000).unref();
    };
    const chunk = options.chunkBytes ?? 16 * 1024;
    let offset = start;
    const pump = async () => {
      while (!res.destroyed) {
        if (offset >= body.length) {
          res.end();
          return;
        }
        if (myHold && offset === myHold.at) {
          myHold.reached(offset);
          if ((await myHold.go) === "drop") {
            hangUp();
            return;
          }
        }
        let end = Math.min(body.length, offset + (options.chunkDelayMs ? chunk : body.length));
        if (myHold && myHold.at > offset && myHold.at < end) end = myHold.at;
        const piece = body.subarray(offset, end);
        offset = end;
        await new Promise<void>((resolve) => res.write(piece, () => resolve()));
        if (options.chunkDelayMs) await new Promise((r) => setTimeout(r, options.chunkDelayMs));
      }
    };
    void pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    setFile: (urlPath, file) => files.set(urlPath, Buffer.isBuffer(file) ? { body: file } : file),
    setStatus: (s) => (status = s),
    holdNextAt(at) {
      let reached!: (offset: number) => void;
      let go!: (what: "resume" | "drop") => void;
      let closed!: () => void;
      const h: HeldTransfer = {
        reached: new Promise<number>((r) => (reached = r)),
        clientClosed: new Promise<void>((r) => (closed = r)),
        drop: () => go("drop"),
        resume: () => go("resume"),
      };
      hold = { at, taken: false, reached, go: new Promise((r) => (go = r)), closed };
      return h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        hold?.closed();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
