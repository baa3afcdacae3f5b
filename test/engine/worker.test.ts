import * as assert from "node:assert/strict";
import { ensureFixture, expectedChatReply, expectedCompletion, expectedInfill } from "../fixtures/gguf/index";
import { EngineError } from "../../src/core/engine/engine";
import type { WorkerClient } from "../../src/client/workerClient";
import { makeClient } from "./workerHarness";

const WEIGHT_TYPES = ["f32", "f16", "q8_0", "q4_0"] as const;
const PSM = (prefix: string, suffix: string) => [
  { special: "fimPrefix" as const },
  { text: prefix },
  { special: "fimSuffix" as const },
  { text: suffix },
  { special: "fimMiddle" as const },
];

describe("model worker on deterministic fixtures", function () {
  let client: WorkerClient;
  let model: string;

  before(async () => {
    model = await ensureFixture("bigram-q8_0");
    client = makeClient();
    await client.load("completion", { modelPath: model, contextSize: 512 });
  });
  after(() => client.stop());

  for (const type of WEIGHT_TYPES)
    it(`completes "a" exactly with ${type} weights`, async () => {
      const local = makeClient();
      try {
        await local.load("completion", { modelPath: await ensureFixture(`bigram-${type}`), contextSize: 256 });
        const result = await local.generate("completion", { kind: "complete", prompt: "a", maxTokens: 64 });
        const expected = expectedCompletion("a", 64);
        assert.equal(result.text, expected.text);
        assert.equal(result.stopReason, expected.stopReason);
        assert.equal(result.generatedTokens, expected.tokens.length);
      } finally {
        await local.stop();
      }
    });

  it("fills in the middle through special-token segments", async () => {
    const result = await client.generate("completion", {
      kind: "segments",
      segments: PSM("function f() {\n  return ", ";\n}\n"),
      maxTokens: 16,
    });
    assert.equal(result.text, expectedInfill(16).text);
  });

  it("answers a chat through the model's ChatML template", async () => {
    const result = await client.generate("completion", {
      kind: "chat",
      messages: [{ role: "user", content: "hello" }],
      maxTokens: 16,
    });
    assert.equal(result.text, expectedChatReply(16).text);
  });

  it("streams chunks that add up to the final text, in order", async () => {
    const chunks: string[] = [];
    const result = await client.generate(
      "completion",
      { kind: "complete", prompt: "m", maxTokens: 64 },
      { onChunk: (c) => chunks.push(c) },
    );
    assert.ok(chunks.length > 3, `only ${chunks.length} chunks`);
    assert.equal(chunks.join(""), result.text);
    assert.equal(result.text, expectedCompletion("m").text);
  });

  it("stops at maxTokens and reports it", async () => {
    const result = await client.generate("completion", { kind: "complete", prompt: "7", maxTokens: 5 });
    assert.equal(result.text, expectedCompletion("7", 5).text);
    assert.equal(result.stopReason, "maxTokens");
  });

  it("stops before a stop string", async () => {
    const result = await client.generate("completion", { kind: "complete", prompt: "a", maxTokens: 64, stop: ["fg"] });
    assert.equal(result.text, "bcde");
    assert.equal(result.stopReason, "stopString");
  });

  it("reuses the KV cache for a prompt that shares its start with the previous one", async () => {
    const base = "x".repeat(200);
    await client.generate("completion", { kind: "complete", prompt: `${base}a`, maxTokens: 2 });
    const second = await client.generate("completion", { kind: "complete", prompt: `${base}b`, maxTokens: 2 });
    assert.ok(second.reusedPromptTokens >= 200, `reused only ${second.reusedPromptTokens}`);
    assert.ok(second.promptTokens - second.reusedPromptTokens <= 2);
  });

  it("counts tokens with the model's tokenizer", async () => {
    assert.equal(await client.countTokens("completion", "abc"), 3);
    assert.equal(await client.countTokens("completion", "é"), 2); // two UTF-8 bytes
  });

  it("cancellation stops generation within a couple of tokens, and the next request is exact", async () => {
    const controller = new AbortController();
    let chunksAtAbort = 0;
    const pending = client.generate(
      "completion",
      { kind: "complete", prompt: "0", maxTokens: 20000 },
      {
        signal: controller.signal,
        onChunk: () => {
          if (++chunksAtAbort === 20) controller.abort();
        },
      },
    );
    await assert.rejects(pending, (e: unknown) => e instanceof EngineError && e.code === "cancelled");
    let last = await client.status();
    const started = Date.now();
    while (last.busy && Date.now() - started < 5000) last = await client.status();
    assert.equal(last.busy, false, "worker still generating after cancel");
    // The engine stops within a couple of tokens of the abort reaching the worker; tokens produced
    // while the cancel message was in flight depend on machine load and are not the engine's.
    assert.ok(last.last, "the worker recorded the cancelled generation");
    assert.ok(
      last.last.tokensAfterAbort !== undefined && last.last.tokensAfterAbort <= 2,
      `generated ${last.last.tokensAfterAbort} tokens after the abort reached the worker`,
    );
    assert.ok(
      last.last.generatedTokens < 1000,
      `generated ${last.last.generatedTokens} of 20000 tokens despite a cancel at 20`,
    );
    const next = await client.generate("completion", { kind: "complete", prompt: "a", maxTokens: 64 });
    assert.equal(next.text, expectedCompletion("a").text);
  });

  it("a superseding request replaces the running one", async () => {
    const first = client.generate(
      "completion",
      { kind: "complete", prompt: "0", maxTokens: 20000 },
      { supersede: true },
    );
    const firstOutcome = first.then(
      () => "resolved",
      (e: unknown) => (e instanceof EngineError ? e.code : String(e)),
    );
    await new Promise((r) => setTimeout(r, 50));
    const second = await client.generate(
      "completion",
      { kind: "segments", segments: PSM("x", "y"), maxTokens: 8 },
      { supersede: true },
    );
    assert.equal(await firstOutcome, "superseded");
    assert.equal(second.text, expectedInfill(8).text);
  });

  it("a burst of superseding requests runs one generation at a time and skips the stale ones unrun", async () => {
    const before = (await client.status()).lanes.completion;
    // 30 keystrokes' worth of requests sent back to back while an endless generation runs.
    const long = client
      .generate("completion", { kind: "complete", prompt: "0", maxTokens: 20000 }, { supersede: true })
      .catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const burst = Array.from({ length: 30 }, (_, i) =>
      client
        .generate("completion", { kind: "complete", prompt: "a".repeat(i + 1), maxTokens: 4 }, { supersede: true })
        .then(
          (r) => r.text,
          (e: unknown) => (e instanceof EngineError ? e.code : String(e)),
        ),
    );
    const outcomes = await Promise.all(burst);
    const longOutcome = await long;
    assert.equal(longOutcome instanceof EngineError && longOutcome.code, "superseded");
    // Only the newest survives, with its exact text; every other one was superseded.
    assert.equal(outcomes.at(-1), expectedCompletion("a".repeat(30), 4).text);
    assert.deepEqual(new Set(outcomes.slice(0, -1)), new Set(["superseded"]));
    const after = (await client.status()).lanes.completion;
    assert.equal(after.requests - before.requests, 31);
    assert.equal(after.peakRunning, 1, "two generations ran at once on the completion lane");
    assert.ok(after.peakAhead <= 1, `a request waited behind ${after.peakAhead} live ones`);
    // The endless one and the newest ran; stale ones that never reached the lane cost no tokens.
    const started = after.started - before.started;
    assert.ok(started >= 2 && started < 31, `${started} of 31 generations started`);
    assert.equal(after.skipped - before.skipped, 31 - started);
  });

  it("reports status: backend, threads, the loaded model and the last speed", async () => {
    await client.generate("completion", { kind: "complete", prompt: "a", maxTokens: 64 });
    const status = await client.status();
    assert.ok(status.backend.kind === "local");
    assert.equal(status.backend.gpu, "none");
    assert.equal(status.backend.threads, 1);
    assert.equal(status.models[0]?.modelPath, model);
    assert.equal(status.models[0]?.specialTokens.fimMiddle, true);
    assert.ok(status.last && status.last.tokensPerSecond !== null && status.last.tokensPerSecond > 0);
  });

  it("says clearly that a model without FIM tokens cannot fill in the middle", async () => {
    const local = makeClient();
    try {
      const info = await local.load("completion", { modelPath: await ensureFixture("bigram-nofim"), contextSize: 256 });
      assert.equal(info.specialTokens.fimPrefix, false);
      await assert.rejects(
        local.generate("completion", { kind: "segments", segments: PSM("a", "b"), maxTokens: 4 }),
        (e: unknown) => e instanceof EngineError && e.code === "fimUnsupported" && /fill-in-the-middle/.test(e.message),
      );
    } finally {
      await local.stop();
    }
  });
});
