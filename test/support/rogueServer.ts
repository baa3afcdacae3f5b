/**
 * A real HTTP server on 127.0.0.1 that speaks just enough of the OpenAI-compatible API for the
 * remote engine to load a model, then misbehaves on purpose in the ways a rogue or broken server
 * does (issue #16): it ignores max_tokens and streams for ever, sends only ": ping" keep-alives,
 * drips tokens slower than any deadline, sends a line that never ends, echoes the Authorization
 * header in its error, or sends an error message of 60 KB. A real llama-server makes none of these.
 */
import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type Rogue = "endless" | "pings" | "drip" | "longLine" | "echoAuth" | "hugeError";

export class RogueServer {
  behaviour: Rogue = "endless";
  /** Streams the server is still writing (a client that gave up closes them). */
  openStreams = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: http.Server;

  private constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  static async start(): Promise<RogueServer> {
    const s = new RogueServer();
    await new Promise<void>((resolve) => s.server.listen(0, "127.0.0.1", resolve));
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === "/health") return json(200, { status: "ok" });
    if (req.url === "/v1/models") return json(200, { object: "list", data: [{ id: "rogue", object: "model" }] });
    if (req.url !== "/v1/completions" && req.url !== "/v1/chat/completions")
      return json(404, { error: { code: 404, message: "Not Found", type: "not_found_error" } });
    if (this.behaviour === "echoAuth")
      return json(401, {
        error: {
          code: 401,
          message: `Invalid API key: ${req.headers.authorization ?? ""}`,
          type: "authentication_error",
        },
      });
    if (this.behaviour === "hugeError")
      return json(500, { error: { code: 500, message: `boom ${"x".repeat(60_000)}`, type: "server_error" } });

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    this.openStreams++;
    const chat = req.url === "/v1/chat/completions";
    const token = JSON.stringify(
      chat
        ? { choices: [{ index: 0, delta: { content: "a" }, finish_reason: null }] }
        : { choices: [{ index: 0, text: "a", finish_reason: null }] },
    );
    let sent = 0;
    const tick = () => {
      if (res.destroyed || res.writableEnded) return;
      switch (this.behaviour) {
        case "endless":
          res.write(`data: ${token}\n\n`);
          break;
        case "drip":
          res.write(`data: ${token}\n\n`);
          break;
        case "pings":
          res.write(": ping\n\n");
          break;
        case "longLine":
          // 64 KiB pieces of one line, up to 8 MiB, never a newline.
          if (sent === 0) res.write("data: ");
          if (sent < 128) res.write("x".repeat(64 * 1024));
          sent++;
          break;
      }
    };
    const interval = setInterval(tick, this.behaviour === "drip" ? 100 : this.behaviour === "endless" ? 1 : 20);
    res.on("close", () => {
      clearInterval(interval);
      this.openStreams--;
    });
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
