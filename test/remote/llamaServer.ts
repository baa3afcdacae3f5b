/**
 * A real llama-server for the remote-backend tests: the binary scripts/tools/build-llama-server.sh
 * built from node-llama-cpp's llama.cpp source, started on 127.0.0.1 with a free port and a
 * fixture model, stopped (or killed, for fault tests) afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import * as net from "node:net";
import * as path from "node:path";

export const repoRoot = path.resolve(__dirname, "../../..");
export const cliPath = path.join(repoRoot, "dist/cli.js");

let binary: string | null = null;

/** The cached llama-server binary; LCA_LLAMA_SERVER_BIN overrides. Never builds (test-all does that first). */
export function llamaServerBinary(): string {
  if (binary) return binary;
  const fromEnv = process.env.LCA_LLAMA_SERVER_BIN;
  if (fromEnv) return (binary = fromEnv);
  const check = spawnSync("bash", [path.join(repoRoot, "scripts/tools/build-llama-server.sh"), "--check"], {
    encoding: "utf8",
  });
  if (check.status !== 0)
    throw new Error(
      `llama-server is not built: ${check.stderr.trim()}\nRun scripts/tools/build-llama-server.sh (npm test runs it before this tier).`,
    );
  return (binary = check.stdout.trim());
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

export interface LlamaServerOptions {
  model: string;
  port?: number;
  apiKey?: string;
  /** Served model name (default: llama-server's, the file name). */
  alias?: string;
  contextSize?: number;
  extraArgs?: string[];
}

export class LlamaServer {
  private exited: Promise<unknown>;
  private output = "";

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly options: LlamaServerOptions,
  ) {
    this.exited = once(child, "exit");
    child.stdout?.on("data", (d: Buffer) => this.keep(d));
    child.stderr?.on("data", (d: Buffer) => this.keep(d));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The server's log so far (last 20 kB), for failure messages. */
  get log(): string {
    return this.output;
  }

  private keep(data: Buffer): void {
    this.output = (this.output + data.toString()).slice(-20_000);
  }

  /** Starts the server and waits until /health says ok (the model is loaded). */
  static async start(options: LlamaServerOptions): Promise<LlamaServer> {
    const port = options.port ?? (await freePort());
    const args = [
      "--model",
      options.model,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--ctx-size",
      String(options.contextSize ?? 2048),
      // /infill fits other files' chunks only into what the context leaves beyond one batch.
      "--batch-size",
      "256",
      "--threads",
      "1",
      "--parallel",
      "1",
      "--no-webui",
      "--no-warmup",
      "--slots",
      "--metrics",
      ...(options.apiKey ? ["--api-key", options.apiKey] : []),
      ...(options.alias ? ["--alias", options.alias] : []),
      ...(options.extraArgs ?? []),
    ];
    const child = spawn(llamaServerBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
    const server = new LlamaServer(child, port, options);
    try {
      await server.waitHealthy(60_000);
    } catch (error) {
      await server.kill();
      throw new Error(`${(error as Error).message}\n--- llama-server log ---\n${server.log.slice(-4000)}`);
    }
    return server;
  }

  /** Starts the same server again on the same port (after kill()). */
  restart(): Promise<LlamaServer> {
    return LlamaServer.start({ ...this.options, port: this.port });
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (Date.now() < deadline) {
      if (exited)
        throw new Error(
          `llama-server exited while starting (code ${this.child.exitCode}, signal ${this.child.signalCode})`,
        );
      try {
        const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
        await res.arrayBuffer();
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`llama-server did not become healthy on ${this.url} within ${timeoutMs} ms`);
  }

  /** GET a JSON endpoint of the server (slots, props), without the engine. */
  async getJson(route: string): Promise<unknown> {
    const res = await fetch(`${this.url}${route}`, {
      headers: this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {},
    });
    if (!res.ok) throw new Error(`${route}: HTTP ${res.status}`);
    return res.json();
  }

  /** SIGKILL, as a crash would; resolves when the process is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}
