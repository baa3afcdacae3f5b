import * as assert from "node:assert/strict";
import { RemoteEngine, type RemoteEngineOptions } from "../../src/client/remote/remoteEngine";
import { EngineError, type EngineState } from "../../src/core/engine/engine";
import type { ErrorCode } from "../../src/core/protocol/workerProtocol";
import { ensureFixture, expectedChatReply, expectedCompletion } from "../fixtures/gguf/index";
import { FaultProxy } from "./faultProxy";
import { freePort, LlamaServer } from "./llamaServer";
import { loggerFrom } from "../../src/core/util/logger";

const LONG = { kind: "complete" as const, prompt: "0", maxTokens: 20000 };
const A = { kind: "complete" as const, prompt: "a", maxTokens: 64 };

function rejectsWith(code: ErrorCode, ...says: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof EngineError, `not an EngineError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const re of says) assert.match(e.message, re);
    return true;
  };
}

function waitState(engine: RemoteEngine, kind: EngineState["kind"], timeoutMs = 20_000): Promise<EngineState> {
  if (engine.state.kind === kind) return Promise.resolve(engine.state);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`state stayed ${engine.state.kind}, expected ${kind}`));
    }, timeoutMs);
    const sub = engine.onDidChangeState((state) => {
      if (state.kind !== kind) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(state);
    });
  });
}

describe("remote engine faults, against a real llama-server", function () {
  let model: string;
  const engines: RemoteEngine[] = [];
  const make = (options: RemoteEngineOptions) => {
    const e = new RemoteEngine({ healthRetryMs: 0, ...options });
    engines.push(e);
    return e;
  };
  before(async () => (model = await ensureFixture("bigram-q8_0")));
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop();
  });

  it("connection refused: a clear error naming the URL, and the state says unreachable", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const engine = make({ url });
    await assert.rejects(
      engine.load("completion", { modelPath: "" }),
      rejectsWith(
        "remoteUnreachable",
        new RegExp(`Cannot connect to ${url.replace(/\./g, "\\.")}`),
        /is the server running/,
      ),
    );
    assert.equal(engine.state.kind, "unreachable");
  });

  describe("with an API key", () => {
    let server: LlamaServer;
    const KEY = "s3cret-key-for-tests";
    before(async () => (server = await LlamaServer.start({ model, apiKey: KEY })));
    after(() => server?.stop());

    it("a wrong key gives the 401 message; the key is in no message or log line", async () => {
      const lines: string[] = [];
      const wrong = make({ url: server.url, apiKey: "wrong-key-123", log: loggerFrom((_l, m) => lines.push(m)) });
      await assert.rejects(
        wrong.load("completion", { modelPath: "" }),
        rejectsWith("remoteUnauthorized", /refused the API key \(HTTP 401\)/, /Invalid API Key/),
      );
      assert.equal(wrong.state.kind, "unreachable");
      const missing = make({ url: server.url });
      await assert.rejects(missing.load("completion", { modelPath: "" }), rejectsWith("remoteUnauthorized"));

      const right = make({ url: server.url, apiKey: KEY, log: loggerFrom((_l, m) => lines.push(m)) });
      await right.load("completion", { modelPath: "" });
      assert.equal((await right.generate("completion", A)).text, expectedCompletion("a").text);
      assert.ok(lines.length > 0);
      for (const line of lines) assert.ok(!line.includes(KEY) && !line.includes("wrong-key-123"), line);
    });
  });

  describe("the server dies in the middle of an answer", () => {
    let server: LlamaServer;
    before(async () => (server = await LlamaServer.start({ model })));
    after(() => server?.stop());

    it("a clear error, the state turns unreachable, and after a restart the next request works (retry path)", async () => {
      const engine = make({ url: server.url, healthRetryMs: 200 });
      await engine.load("completion", { modelPath: "" });
      let chunks = 0;
      const pending = engine.generate("completion", LONG, {
        onChunk: () => {
          if (++chunks === 20) void server.kill();
        },
      });
      await assert.rejects(pending, (e: unknown) => {
        assert.ok(e instanceof EngineError);
        assert.ok(e.code === "remoteInterrupted" || e.code === "remoteUnreachable", `${e.code}: ${e.message}`);
        assert.match(e.message, /restarted or crashed|closed|restart/);
        assert.match(e.message, new RegExp(server.url.replace(/\./g, "\\.")));
        return true;
      });
      assert.ok(chunks >= 20);
      const down = await waitState(engine, "unreachable");
      assert.ok(down.kind === "unreachable" && down.retryInMs !== null);
      // While it is down, requests fail fast with the connection error (a reused keep-alive socket says "reset").
      await assert.rejects(
        engine.generate("completion", A),
        rejectsWith("remoteUnreachable", /Cannot connect|closed the connection before answering/),
      );

      server = await server.restart();
      // The background health check notices by itself...
      await waitState(engine, "ready");
      // ...and the next request is served, exactly.
      assert.equal((await engine.generate("completion", A)).text, expectedCompletion("a").text);
    });
  });

  describe("faults llama-server does not make on demand, through a real proxy", () => {
    let server: LlamaServer;
    let proxy: FaultProxy;
    before(async () => {
      server = await LlamaServer.start({ model });
      proxy = await FaultProxy.start(server.url);
    });
    after(async () => {
      await proxy?.stop();
      await server?.stop();
    });
    beforeEach(() => {
      proxy.fault = () => ({ kind: "pass" });
    });

    async function loaded(options: Partial<RemoteEngineOptions> = {}): Promise<RemoteEngine> {
      const engine = make({ url: proxy.url, ...options });
      await engine.load("completion", { modelPath: "" });
      await engine.load("chat", { modelPath: "" });
      return engine;
    }

    it("429 with Retry-After: rate limited, with the wait; the next request goes through", async () => {
      const engine = await loaded();
      proxy.faultPath(
        "/v1/chat/completions",
        {
          kind: "status",
          status: 429,
          body: JSON.stringify({ error: { code: 429, message: "slow down", type: "rate_limit" } }),
          headers: { "retry-after": "3" },
        },
        1,
      );
      const chat = { kind: "chat" as const, messages: [{ role: "user" as const, content: "hi" }], maxTokens: 16 };
      await assert.rejects(engine.generate("chat", chat), (e: unknown) => {
        rejectsWith("remoteRateLimited", /HTTP 429/, /retry in 3 seconds/, /slow down/)(e);
        assert.equal((e as EngineError).retryAfterMs, 3000);
        return true;
      });
      assert.equal(engine.state.kind, "ready", "a rate limit is not an outage");
      assert.equal((await engine.generate("chat", chat)).text, expectedChatReply(16).text);
    });

    it("5xx: a server error with the server's message; the next request goes through", async () => {
      const engine = await loaded();
      proxy.faultPath(
        "/v1/completions",
        { kind: "status", status: 502, body: "<html>Bad Gateway</html>", headers: { "content-type": "text/html" } },
        1,
      );
      await assert.rejects(
        engine.generate("completion", A),
        rejectsWith("remoteServerError", /\/v1\/completions failed with HTTP 502/, /Bad Gateway/),
      );
      assert.equal((await engine.generate("completion", A)).text, expectedCompletion("a").text);
    });

    it("a stalled stream is abandoned after the stall timeout; the next request goes through", async () => {
      const engine = await loaded({ stallTimeoutMs: 1500 });
      proxy.faultPath("/v1/completions", { kind: "stall", afterEvents: 5 }, 1);
      const chunks: string[] = [];
      await assert.rejects(
        engine.generate("completion", LONG, { onChunk: (c) => chunks.push(c) }),
        rejectsWith("remoteStalled", /stopped sending the answer \(nothing for 2 seconds\)/),
      );
      assert.ok(chunks.length > 0 && chunks.length <= 5, `${chunks.length} chunks before the stall`);
      assert.equal((await engine.generate("completion", A)).text, expectedCompletion("a").text);
    });

    it("a connection reset mid-stream is an interrupted answer", async () => {
      const engine = await loaded();
      proxy.faultPath("/v1/chat/completions", { kind: "drop", afterEvents: 2 }, 1);
      await assert.rejects(
        engine.generate("chat", { kind: "chat", messages: [{ role: "user", content: "hi" }], maxTokens: 16 }),
        rejectsWith("remoteInterrupted", /closed in the middle of the answer|ended the answer before it was complete/),
      );
    });

    it("an error event in the middle of a stream ends the answer with the server's message", async () => {
      const engine = await loaded();
      proxy.faultPath(
        "/v1/completions",
        { kind: "errorEvent", afterEvents: 3, error: { code: 500, message: "Compute error.", type: "server_error" } },
        1,
      );
      await assert.rejects(
        engine.generate("completion", LONG),
        rejectsWith("remoteServerError", /"Compute error\."/, /in the middle of the answer/),
      );
      assert.equal((await engine.generate("completion", A)).text, expectedCompletion("a").text);
    });

    it("no answer at all within the request timeout is a timeout", async () => {
      const engine = await loaded({ requestTimeoutMs: 800 });
      proxy.faultPath("/v1/completions", { kind: "hang" }, 1);
      await assert.rejects(
        engine.generate("completion", A),
        rejectsWith("remoteTimeout", /\/v1\/completions did not answer within 1 second/),
      );
      assert.equal((await engine.generate("completion", A)).text, expectedCompletion("a").text);
    });

    it("a server that is still loading its model: load waits, then works", async () => {
      proxy.faultPath(
        "/health",
        {
          kind: "status",
          status: 503,
          body: JSON.stringify({ error: { code: 503, message: "Loading model", type: "unavailable_error" } }),
        },
        3,
      );
      const seenBefore = proxy.seen.length;
      const engine = await loaded();
      assert.equal(engine.state.kind, "ready");
      const healthChecks = proxy.seen.slice(seenBefore).filter((p) => p === "/health").length;
      assert.ok(healthChecks >= 4, `${healthChecks} health checks: the three 503s and the ok`);
    });
  });
});
