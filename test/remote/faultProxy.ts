/**
 * A small real HTTP proxy in front of a real llama-server, for the faults llama-server does not
 * produce on demand: an answer with a chosen status (429 with Retry-After, 5xx), a stream that
 * goes silent after some events (stall), and a connection dropped in the middle of a stream.
 * Requests it does not fault are forwarded byte for byte.
 */
import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type Fault =
  | { kind: "pass" }
  | { kind: "status"; status: number; body: string; headers?: Record<string, string> }
  /** Forward the headers and the first `afterEvents` SSE events, then send nothing more (connection kept open). */
  | { kind: "stall"; afterEvents: number }
  /** Forward the headers and the first `afterEvents` SSE events, then reset the connection. */
  | { kind: "drop"; afterEvents: number }
  /** Accept the request and never answer. */
  | { kind: "hang" }
  /** Forward the first `afterEvents` SSE events, then send an error event (as llama-server does when a task fails) and end. */
  | { kind: "errorEvent"; afterEvents: number; error: unknown };

export class FaultProxy {
  /** Decides the fault for each request (default: forward). */
  fault: (req: http.IncomingMessage) => Fault = () => ({ kind: "pass" });
  /** Paths of the requests seen, in order. */
  readonly seen: string[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: http.Server;

  private constructor(private readonly upstream: URL) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  static async start(upstream: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(new URL(upstream));
    await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Faults only requests to `path`, the next `times` times; everything else passes. */
  faultPath(path: string, fault: Fault, times = Infinity): void {
    let left = times;
    this.fault = (req) => {
      if (req.url !== path || left <= 0) return { kind: "pass" };
      left--;
      return fault;
    };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.seen.push(req.url ?? "");
    const fault = this.fault(req);
    if (fault.kind === "hang") {
      req.resume();
      return;
    }
    if (fault.kind === "status") {
      req.resume();
      res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers });
      res.end(fault.body);
      return;
    }
    const upstreamReq = http.request(
      // A fresh upstream connection per request: a pooled one that the server closed while idle would fail as a 502.
      {
        host: this.upstream.hostname,
        port: this.upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: this.upstream.host },
        agent: false,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        if (fault.kind === "pass") {
          upstreamRes.pipe(res);
          return;
        }
        let events = 0;
        let cut = false;
        upstreamRes.on("data", (data: Buffer) => {
          if (cut) return;
          const text = data.toString("utf8");
          // Forward up to the end of event number `afterEvents`.
          let end = 0;
          let at = 0;
          while (events < fault.afterEvents && (at = text.indexOf("\n\n", end)) !== -1) {
            events++;
            end = at + 2;
          }
          if (events < fault.afterEvents) {
            res.write(data);
            return;
          }
          if (end > 0) res.write(text.slice(0, end));
          cut = true;
          upstreamReq.destroy(); // the real server stops generating
          if (fault.kind === "drop") setTimeout(() => res.socket?.resetAndDestroy(), 20);
          if (fault.kind === "errorEvent") res.end(`data: ${JSON.stringify({ error: fault.error })}\n\n`);
          // "stall": keep our client's connection open and silent.
        });
        upstreamRes.on("end", () => {
          if (!cut) res.end();
        });
      },
    );
    upstreamReq.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      if (fault.kind === "pass") res.end();
    });
    req.pipe(upstreamReq);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
