import * as assert from "node:assert/strict";
import { RemoteEngine, type RemoteEngineOptions } from "../../src/client/remote/remoteEngine";
import { buildFimPrompt } from "../../src/core/completion/templating/fimPrompt";
import { EngineError } from "../../src/core/engine/engine";
import type { PromptSegment } from "../../src/core/protocol/workerProtocol";
import { ensureFixture, expectedChatReply, expectedCompletion, expectedInfill } from "../fixtures/gguf/index";
import { FaultProxy } from "./faultProxy";
import { LlamaServer } from "./llamaServer";

const PSM = (prefix: string, suffix: string): PromptSegment[] => [
  { special: "fimPrefix" },
  { text: prefix },
  { special: "fimSuffix" },
  { text: suffix },
  { special: "fimMiddle" },
];

/** The same assertions as test/engine/worker.test.ts, through HTTP to a real llama-server. */
describe("remote engine on a real llama-server (bigram-q8_0)", function () {
  let server: LlamaServer;
  let engine: RemoteEngine;
  const engines: RemoteEngine[] = [];
  const make = (options: Partial<RemoteEngineOptions> = {}) => {
    const e = new RemoteEngine({ url: server.url, ...options });
    engines.push(e);
    return e;
  };

  before(async () => {
    server = await LlamaServer.start({ model: await ensureFixture("bigram-q8_0"), contextSize: 2048 });
    engine = make();
    await engine.load("completion", { modelPath: "" });
    await engine.load("chat", { modelPath: "" });
  });
  after(async () => {
    for (const e of engines) await e.stop();
    await server?.stop();
  });

  it("load names the served model, its context, and how FIM goes (confirmed by the server's tokenizer)", async () => {
    const info = engine.modelInfo("completion");
    assert.ok(info);
    assert.match(info.modelPath, /bigram/);
    assert.equal(info.contextSize, 2048);
    assert.equal(info.trainContextSize, 32768);
    assert.deepEqual(info.specialTokens, {
      eos: false,
      fimPrefix: true,
      fimSuffix: true,
      fimMiddle: true,
      fileSeparator: true,
      repoName: true,
    });
    assert.equal(info.hasChatTemplate, true);
    assert.equal(engine.serverKind, "llama-server");
    assert.equal(engine.tokenCounting, "server");
    const setup = engine.completionSetup();
    assert.equal(setup?.route, "completions");
    assert.equal(setup?.template?.family, "qwen2.5-coder");
    assert.equal(engine.state.kind, "ready");
  });

  it('completes "a" exactly', async () => {
    const result = await engine.generate("completion", { kind: "complete", prompt: "a", maxTokens: 64 });
    const expected = expectedCompletion("a", 64);
    assert.equal(result.text, expected.text);
    assert.equal(result.stopReason, expected.stopReason);
    assert.equal(result.generatedTokens, expected.tokens.length);
    assert.equal(result.promptTokens, 1);
  });

  it("fills in the middle through special-token segments (as text with the model's FIM tokens)", async () => {
    const result = await engine.generate("completion", {
      kind: "segments",
      segments: PSM("function f() {\n  return ", ";\n}\n"),
      maxTokens: 16,
    });
    assert.equal(result.text, expectedInfill(16).text);
  });

  it("keeps the psmTail layout: the cursor line after the middle token decides, as with the local worker", async () => {
    const built = buildFimPrompt({
      layout: "psmTail",
      prefix: "let a = 1;\nconst x = ",
      suffix: ";\n",
      specialTokens: engine.modelInfo("completion")!.specialTokens,
      filePath: "a.js",
    });
    assert.ok(built.ok);
    const result = await engine.generate("completion", { kind: "segments", segments: built.segments, maxTokens: 8 });
    assert.equal(result.text, expectedCompletion("const x = ", 8).text);
  });

  it("fills in the middle through llama-server's /infill, extra context included", async () => {
    const infill = make({ completionRoute: "infill" });
    const info = await infill.load("completion", { modelPath: "" });
    assert.equal(infill.completionSetup()?.route, "infill");
    assert.equal(info.specialTokens.fimMiddle, true);
    const built = buildFimPrompt({
      layout: "psm",
      prefix: "def f():\n    return ",
      suffix: "\n",
      specialTokens: info.specialTokens,
      filePath: "f.py",
      extraChunks: [{ path: "g.py", text: "def g():\n    pass\n" }],
    });
    assert.ok(built.ok);
    const result = await infill.generate("completion", { kind: "segments", segments: built.segments, maxTokens: 16 });
    assert.equal(result.text, expectedInfill(16).text);
    assert.equal(result.stopReason, "eogToken");
    assert.ok(
      result.promptTokens > 20,
      `the server's prompt had only ${result.promptTokens} tokens: the extra chunk is missing`,
    );
  });

  it("answers a chat through the model's ChatML template", async () => {
    const result = await engine.generate("chat", {
      kind: "chat",
      messages: [{ role: "user", content: "hello" }],
      maxTokens: 16,
    });
    assert.equal(result.text, expectedChatReply(16).text);
    assert.equal(result.stopReason, "eogToken");
  });

  it("streams chunks that add up to the final text, in order", async () => {
    const chunks: string[] = [];
    const result = await engine.generate(
      "completion",
      { kind: "complete", prompt: "m", maxTokens: 64 },
      { onChunk: (c) => chunks.push(c) },
    );
    assert.ok(chunks.length > 3, `only ${chunks.length} chunks`);
    assert.equal(chunks.join(""), result.text);
    assert.equal(result.text, expectedCompletion("m").text);
    assert.ok(result.firstTokenMs !== null && result.firstTokenMs <= result.ms);
  });

  it("stops at maxTokens and reports it", async () => {
    const result = await engine.generate("completion", { kind: "complete", prompt: "7", maxTokens: 5 });
    assert.equal(result.text, expectedCompletion("7", 5).text);
    assert.equal(result.stopReason, "maxTokens");
    assert.equal(result.generatedTokens, 5);
  });

  it("stops before a stop string, split across streamed chunks", async () => {
    const chunks: string[] = [];
    const result = await engine.generate(
      "completion",
      { kind: "complete", prompt: "a", maxTokens: 64, stop: ["fg"] },
      { onChunk: (c) => chunks.push(c) },
    );
    assert.equal(result.text, "bcde");
    assert.equal(result.stopReason, "stopString");
    assert.equal(chunks.join(""), "bcde");
  });

  it("reuses the server's KV cache for a prompt that shares its start with the previous one", async () => {
    const base = "x".repeat(200);
    await engine.generate("completion", { kind: "complete", prompt: `${base}a`, maxTokens: 2 });
    const second = await engine.generate("completion", { kind: "complete", prompt: `${base}b`, maxTokens: 2 });
    assert.ok(second.reusedPromptTokens >= 200, `reused only ${second.reusedPromptTokens}`);
    assert.ok(
      second.promptTokens - second.reusedPromptTokens <= 2,
      `${second.promptTokens} prompt, ${second.reusedPromptTokens} reused`,
    );
  });

  it("a warm-up evaluates the prompt with n_predict 0 (nothing generated, counted), so the first keystroke there evaluates only its own tokens", async () => {
    const fresh = make();
    const info = await fresh.load("completion", { modelPath: "" });
    const segments = (prefix: string) => {
      const built = buildFimPrompt({
        layout: "psmTail",
        prefix,
        suffix: ";\n}\n",
        specialTokens: info.specialTokens,
        filePath: "src/warm.js",
      });
      assert.ok(built.ok);
      return built.segments;
    };
    const place = "function warm() {\n" + "  let value = 1;\n".repeat(20) + "  return value";
    const predicted = async () => {
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      return Number(/^llamacpp:tokens_predicted_total (\d+)/m.exec(metrics)?.[1]);
    };
    const before = (await fresh.status()).lanes.completion;
    const predictedBefore = await predicted();
    const warm = await fresh.generate("completion", {
      kind: "segments",
      segments: segments(place),
      maxTokens: 16,
      warmUp: true,
    });
    assert.equal(warm.stopReason, "warmUp");
    assert.equal(warm.text, "");
    assert.equal(warm.generatedTokens, 0);
    // llama-server samples (and counts) one token from the prompt's logits even at n_predict 0, then stops.
    const spent = (await predicted()) - predictedBefore;
    assert.ok(spent <= 1, `the server generated ${spent} tokens for a warm-up (maxTokens 16)`);
    const evaluated = warm.promptTokens - warm.reusedPromptTokens;
    assert.ok(evaluated > 300, `the warm-up evaluated only ${evaluated} of ${warm.promptTokens} prompt tokens`);
    const after = (await fresh.status()).lanes.completion;
    assert.equal(after.warmUps, before.warmUps + 1);
    assert.equal(after.warmUpsCompleted, before.warmUpsCompleted + 1);
    assert.equal(after.warmUpTokens, before.warmUpTokens + evaluated);
    // The server kept the prompt: a keystroke there reuses all of it...
    const key = await fresh.generate("completion", { kind: "segments", segments: segments(place + ";"), maxTokens: 4 });
    assert.ok(
      key.promptTokens - key.reusedPromptTokens <= 3,
      `${key.promptTokens} prompt, ${key.reusedPromptTokens} reused after the warm-up`,
    );
    // ...and the output is exact (the cursor line after the middle token decides, as without a warm-up).
    assert.equal(key.text, expectedCompletion("  return value;", 4).text);
  });

  it("counts tokens with the server's tokenizer", async () => {
    assert.equal(await engine.countTokens("completion", "abc"), 3);
    assert.equal(await engine.countTokens("completion", "é"), 2); // two UTF-8 bytes
    assert.equal(
      await engine.countTokens("chat", "<|fim_prefix|>"),
      14,
      "text is counted as text, special-token names included",
    );
  });

  it("cancellation aborts the HTTP request: the server stops generating, and the next request is exact", async () => {
    const controller = new AbortController();
    let chunks = 0;
    const pending = engine.generate(
      "completion",
      { kind: "complete", prompt: "0", maxTokens: 20000 },
      {
        signal: controller.signal,
        onChunk: () => {
          if (++chunks === 20) controller.abort();
        },
      },
    );
    await assert.rejects(pending, (e: unknown) => e instanceof EngineError && e.code === "cancelled");
    assert.equal(engine.inFlight, 0);
    // The server's only slot goes idle (it would otherwise generate 20000 tokens).
    const started = Date.now();
    let busy = true;
    while (busy && Date.now() - started < 10_000) {
      const slots = (await server.getJson("/slots")) as { is_processing: boolean }[];
      busy = slots.some((s) => s.is_processing);
      if (busy) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(busy, false, "llama-server still generating after the cancel");
    const next = await engine.generate("completion", { kind: "complete", prompt: "a", maxTokens: 64 });
    assert.equal(next.text, expectedCompletion("a").text);
  });

  it("a superseding request replaces the running one", async () => {
    const first = engine.generate(
      "completion",
      { kind: "complete", prompt: "0", maxTokens: 20000 },
      { supersede: true },
    );
    const firstOutcome = first.then(
      () => "resolved",
      (e: unknown) => (e instanceof EngineError ? e.code : String(e)),
    );
    await new Promise((r) => setTimeout(r, 50));
    const second = await engine.generate(
      "completion",
      { kind: "segments", segments: PSM("x", "y"), maxTokens: 8 },
      { supersede: true },
    );
    assert.equal(await firstOutcome, "superseded");
    assert.equal(second.text, expectedInfill(8).text);
  });

  it("the time budget ends a long generation with what it has", async () => {
    const result = await engine.generate("completion", {
      kind: "complete",
      prompt: "0",
      maxTokens: 20000,
      timeBudgetMs: 300,
    });
    assert.equal(result.stopReason, "timeBudget");
    assert.equal(result.text, expectedCompletion("0", result.text.length).text, "a prefix of the digit cycle");
  });

  it("a model name the server does not serve fails at load, listing what it serves", async () => {
    const other = make();
    await assert.rejects(other.load("completion", { modelPath: "qwen2.5-coder-7b" }), (e: unknown) => {
      assert.ok(e instanceof EngineError);
      assert.equal(e.code, "remoteModelNotFound");
      assert.match(
        e.message,
        new RegExp(`"qwen2.5-coder-7b" is not on ${server.url.replace(/\./g, "\\.")}; it serves: .*bigram`),
      );
      return true;
    });
  });

  it("status reports the loaded models and the last speed", async () => {
    await engine.generate("completion", { kind: "complete", prompt: "a", maxTokens: 64 });
    const status = await engine.status();
    assert.equal(status.models.length, 2);
    assert.equal(status.busy, false);
    assert.ok(status.last && status.last.generatedTokens === 25 && status.last.tokensPerSecond !== null);
  });
});

describe("remote engine: a model without FIM tokens", function () {
  let server: LlamaServer;
  let engine: RemoteEngine;
  before(async () => {
    server = await LlamaServer.start({ model: await ensureFixture("bigram-nofim") });
    engine = new RemoteEngine({ url: server.url });
  });
  after(async () => {
    await engine?.stop();
    await server?.stop();
  });

  it("says clearly that it cannot fill in the middle, and still completes plain text", async () => {
    const info = await engine.load("completion", { modelPath: "" });
    assert.equal(info.specialTokens.fimPrefix, false);
    await assert.rejects(
      engine.generate("completion", { kind: "segments", segments: PSM("a", "b"), maxTokens: 4 }),
      (e: unknown) => e instanceof EngineError && e.code === "fimUnsupported" && /fill-in-the-middle/.test(e.message),
    );
    const plain = await engine.generate("completion", { kind: "complete", prompt: "a", maxTokens: 64 });
    assert.equal(plain.text, expectedCompletion("a").text);
  });
});

/**
 * A plain OpenAI-compatible server (as vLLM or Ollama look to us): the real llama-server behind a
 * real proxy that answers 404 for llama-server's own endpoints (/props, /tokenize, /infill). FIM
 * then goes through /v1/completions with the family the model's name points to.
 */
describe("remote engine on an OpenAI-compatible server without llama-server's extras", function () {
  let server: LlamaServer;
  let proxy: FaultProxy;
  let engine: RemoteEngine;
  before(async () => {
    server = await LlamaServer.start({ model: await ensureFixture("bigram-q8_0"), alias: "qwen2.5-coder-1.5b-test" });
    proxy = await FaultProxy.start(server.url);
    const notFound = {
      kind: "status" as const,
      status: 404,
      body: JSON.stringify({ error: { code: 404, message: "Not Found", type: "not_found_error" } }),
    };
    proxy.fault = (req) => (["/props", "/tokenize", "/infill"].includes(req.url ?? "") ? notFound : { kind: "pass" });
    engine = new RemoteEngine({ url: `${proxy.url}/v1` });
    await engine.load("completion", { modelPath: "qwen2.5-coder-1.5b-test" });
    await engine.load("chat", { modelPath: "qwen2.5-coder-1.5b-test" });
  });
  after(async () => {
    await engine?.stop();
    await proxy?.stop();
    await server?.stop();
  });

  it("takes the FIM tokens from the model's name and says token counts are estimates", () => {
    assert.equal(engine.serverKind, "openai-compatible");
    assert.equal(engine.completionSetup()?.route, "completions");
    assert.equal(engine.completionSetup()?.template?.family, "qwen2.5-coder");
    assert.equal(engine.tokenCounting, "estimate");
    assert.equal(
      engine.modelInfo("completion")?.contextSize,
      4096,
      "no context size from the server: the default budget",
    );
  });

  it("gives the same exact completion, infill (psm and psmTail) and chat", async () => {
    assert.equal(
      (await engine.generate("completion", { kind: "complete", prompt: "a", maxTokens: 64 })).text,
      expectedCompletion("a").text,
    );
    assert.equal(
      (await engine.generate("completion", { kind: "segments", segments: PSM("x = ", "\n"), maxTokens: 16 })).text,
      expectedInfill(16).text,
    );
    const built = buildFimPrompt({
      layout: "psmTail",
      prefix: "let a = 1;\nconst x = ",
      suffix: ";\n",
      specialTokens: engine.modelInfo("completion")!.specialTokens,
      filePath: "a.js",
      repoName: "r",
    });
    assert.ok(built.ok);
    assert.equal(
      (await engine.generate("completion", { kind: "segments", segments: built.segments, maxTokens: 8 })).text,
      expectedCompletion("const x = ", 8).text,
    );
    assert.equal(
      (await engine.generate("chat", { kind: "chat", messages: [{ role: "user", content: "hello" }], maxTokens: 16 }))
        .text,
      expectedChatReply(16).text,
    );
  });

  it("estimates token counts with the shared estimator (3 characters per token)", async () => {
    assert.equal(await engine.countTokens("chat", "abcdefgh"), 3);
  });
});
