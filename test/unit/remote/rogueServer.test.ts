import * as assert from "node:assert/strict";
import { RemoteEngine, type RemoteEngineOptions } from "../../../src/client/remote/remoteEngine";
import { EngineError } from "../../../src/core/engine/engine";
import { RogueServer } from "../../support/rogueServer";
import { loggerFrom } from "../../../src/core/util/logger";

/**
 * The remote client's own bounds against a rogue server (issue #16), over real HTTP on 127.0.0.1.
 * Deadlines are short options, and each test waits for the engine's answer, never for time.
 */
const KEY = "sk-rogue-test-0123456789abcdef";

describe("remote engine against a rogue server (its own bounds)", function () {
  this.timeout(15_000);
  let server: RogueServer;
  let engine: RemoteEngine | undefined;
  const logs: string[] = [];

  before(async () => (server = await RogueServer.start()));
  after(() => server.stop());
  afterEach(async () => {
    await engine?.stop();
    engine = undefined;
  });

  async function loaded(options: Partial<RemoteEngineOptions> = {}): Promise<RemoteEngine> {
    engine = new RemoteEngine({
      url: server.url,
      apiKey: KEY,
      healthRetryMs: 0,
      log: loggerFrom((level, m) => logs.push(`${level} ${m}`)),
      ...options,
    });
    await engine.load("completion", { modelPath: "" });
    await engine.load("chat", { modelPath: "" });
    return engine;
  }

  function rejectsWith(code: string, pattern: RegExp) {
    return (e: unknown) => {
      assert.ok(e instanceof EngineError, String(e));
      assert.equal(e.code, code, e.message);
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes(KEY) && !e.message.includes("0123456789abcdef"), `the key is in: ${e.message}`);
      return true;
    };
  }

  it("a server that ignores max_tokens is stopped at our cap, and the connection is closed", async () => {
    server.behaviour = "endless";
    const e = await loaded();
    const chat = await e.generate("chat", { kind: "chat", messages: [{ role: "user", content: "hi" }], maxTokens: 16 });
    assert.equal(chat.text, "a".repeat(16));
    assert.equal(chat.stopReason, "maxTokens");
    assert.equal(chat.generatedTokens, 16);
    const done = await e.generate("completion", { kind: "complete", prompt: "x", maxTokens: 5 });
    assert.deepEqual([done.text, done.stopReason], ["aaaaa", "maxTokens"]);
    await waitUntil(() => server.openStreams === 0);
  });

  it("': ping' keep-alives do not reset the stall timer", async () => {
    server.behaviour = "pings";
    const e = await loaded({ stallTimeoutMs: 300 });
    await assert.rejects(
      e.generate("completion", { kind: "complete", prompt: "x", maxTokens: 8 }),
      rejectsWith("remoteStalled", /stopped sending the answer/),
    );
  });

  it("a total deadline ends an answer that keeps dripping", async () => {
    server.behaviour = "drip";
    const e = await loaded({ totalTimeoutMs: 700, stallTimeoutMs: 5000 });
    await assert.rejects(
      e.generate("completion", { kind: "complete", prompt: "x", maxTokens: 30_000 }),
      rejectsWith("remoteTimeout", /did not finish the answer within 1 second;/),
    );
    await waitUntil(() => server.openStreams === 0);
  });

  it("a line with no newline is capped, not buffered without limit", async () => {
    server.behaviour = "longLine";
    const e = await loaded({ stallTimeoutMs: 5000 });
    await assert.rejects(
      e.generate("completion", { kind: "complete", prompt: "x", maxTokens: 8 }),
      rejectsWith("remoteBadResponse", /a line of more than \d+ characters without a newline/),
    );
  });

  it("a server that echoes the Authorization header never puts the key in the error or the log", async () => {
    server.behaviour = "echoAuth";
    const e = await loaded();
    await assert.rejects(
      e.generate("chat", { kind: "chat", messages: [{ role: "user", content: "hi" }], maxTokens: 4 }),
      rejectsWith("remoteUnauthorized", /Invalid API key: Bearer \[redacted\]/),
    );
    assert.ok(
      logs.every((l) => !l.includes(KEY)),
      logs.join("\n"),
    );
  });

  it("a 60 KB server error message is length-capped", async () => {
    server.behaviour = "hugeError";
    const e = await loaded();
    await assert.rejects(e.generate("completion", { kind: "complete", prompt: "x", maxTokens: 4 }), (err: unknown) => {
      rejectsWith("remoteServerError", /boom x+\.\.\. \(\d+ more characters\)/)(err);
      assert.ok((err as Error).message.length < 1500, `${(err as Error).message.length} characters`);
      return true;
    });
  });
});

async function waitUntil(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 5));
}
