import * as assert from "node:assert/strict";
import { ensureFixture } from "../fixtures/gguf/index";
import { EngineError } from "../../src/core/engine/engine";
import type { WorkerClient } from "../../src/client/workerClient";
import {
  buildFimPrompt,
  buildGenerateBody,
  psmTailLines,
  DEFAULT_COMPLETION_SETTINGS,
} from "../../src/core/completion";
import type { GenerateRequestInput, LaneStats, ModelInfo } from "../../src/core/protocol/workerProtocol";
import { makeClient } from "./workerHarness";

/**
 * Warm-up (prompt evaluation without generation) on the real engine, counted in tokens, never in
 * time: the shape-true Qwen2.5-Coder-0.5B model has the real tokenizer and FIM tokens, and random
 * weights that make a ~200-token prompt take long enough to be superseded while it evaluates.
 */
describe("completion warm-up on the real engine", function () {
  let client: WorkerClient;
  let info: ModelInfo;
  const code = Array.from({ length: 12 }, (_, i) => `    const value${i} = compute(input, ${i}) + offset;\n`).join("");
  const suffix = "\n    return total;\n}\n";

  before(async () => {
    client = makeClient();
    info = await client.load("completion", {
      modelPath: await ensureFixture("qwen2.5-coder-0.5b-shape-q8_0"),
      contextSize: 2048,
    });
  });
  after(() => client.stop());

  const body = (filePath: string, prefix: string, warmUp = false): GenerateRequestInput => {
    const prompt = buildFimPrompt({
      layout: "psmTail",
      prefix,
      suffix,
      specialTokens: info.specialTokens,
      filePath,
      tailLines: psmTailLines(prefix.split("\n").length - 1, DEFAULT_COMPLETION_SETTINGS.tailLines),
    });
    assert.ok(prompt.ok);
    return {
      ...buildGenerateBody(prompt.segments, "multiLine", { maxTokens: 1, timeBudgetMs: 600_000 }),
      ...(warmUp ? { warmUp: true } : {}),
    };
  };
  const lanes = async (): Promise<LaneStats> => (await client.status()).lanes.completion;
  const delta = (after: LaneStats, before: LaneStats) => ({
    warmUps: after.warmUps - before.warmUps,
    warmUpsCompleted: after.warmUpsCompleted - before.warmUpsCompleted,
    warmUpsAborted: after.warmUpsAborted - before.warmUpsAborted,
  });

  it("a keystroke supersedes a running warm-up at once", async () => {
    const before = await lanes();
    const prefix = "function sum(input, offset) {\n" + code + "    const total = ";
    const warm = client.generate("completion", body("src/a.js", prefix, true)).catch((e: unknown) => e);
    // Wait for the state "the warm-up runs" (the lane is busy), then type.
    while (!(await client.status()).busy) await new Promise((r) => setTimeout(r, 5));
    const key = await client.generate("completion", body("src/a.js", prefix + "v"), { supersede: true });
    const outcome = await warm;
    assert.ok(outcome instanceof EngineError && outcome.code === "superseded", `warm-up ended with ${String(outcome)}`);
    assert.equal(key.generatedTokens, 1);
    assert.deepEqual(delta(await lanes(), before), { warmUps: 1, warmUpsCompleted: 0, warmUpsAborted: 1 });
  });

  it("after a warm-up at a new place, the first keystroke evaluates only its own tokens", async () => {
    const before = await lanes();
    const prefix = "function mean(input, offset) {\n" + code + "    const total = ";
    const warm = await client.generate("completion", body("src/b.js", prefix, true));
    assert.equal(warm.stopReason, "warmUp");
    assert.equal(warm.generatedTokens, 0);
    assert.equal(warm.text, "");
    const evaluated = warm.promptTokens - warm.reusedPromptTokens;
    assert.ok(evaluated > 150, `the warm-up evaluated only ${evaluated} tokens at a new place`);

    const key = await client.generate("completion", body("src/b.js", prefix + "v"), { supersede: true });
    const keyEvaluated = key.promptTokens - key.reusedPromptTokens;
    assert.ok(
      keyEvaluated <= 3,
      `the first keystroke after the warm-up evaluated ${keyEvaluated} of ${key.promptTokens} prompt tokens`,
    );

    // Without the warm-up the same first keystroke at a fresh place evaluates the whole prompt.
    const cold = await client.generate("completion", body("src/c.js", prefix + "v"), { supersede: true });
    assert.ok(cold.promptTokens - cold.reusedPromptTokens > 150);

    const after = await lanes();
    assert.deepEqual(delta(after, before), { warmUps: 1, warmUpsCompleted: 1, warmUpsAborted: 0 });
    assert.equal(after.warmUpTokens - before.warmUpTokens, evaluated);
  });
});
