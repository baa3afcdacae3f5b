import * as assert from "node:assert/strict";
import {
  AUTO_PROMPT,
  PromptThroughput,
  resolvePromptTokens,
  throughputSample,
} from "../../../src/core/completion/context/promptBudget";
import type { GenerationResult } from "../../../src/core/engine/types";

function generation(over: Partial<GenerationResult>): GenerationResult {
  return {
    text: "",
    stopReason: "eogToken",
    promptTokens: 1000,
    reusedPromptTokens: 0,
    generatedTokens: 4,
    firstTokenMs: 2000,
    ms: 2500,
    ...over,
  };
}

describe("promptTokens auto: prompt speed and window", () => {
  it("takes a completion's time to its first token, a warm-up's whole time, and only evaluated tokens", () => {
    assert.deepEqual(throughputSample(generation({})), { tokens: 1000, ms: 2000 });
    assert.deepEqual(throughputSample(generation({ reusedPromptTokens: 600 })), { tokens: 400, ms: 2000 });
    assert.deepEqual(throughputSample(generation({ stopReason: "warmUp", firstTokenMs: null, ms: 4000 })), {
      tokens: 1000,
      ms: 4000,
    });
  });

  it("ignores requests that say nothing about prompt speed", () => {
    // A keystroke that reused the cache: a few tokens measure overheads.
    assert.equal(throughputSample(generation({ reusedPromptTokens: 990 })), null);
    // Stopped by the time budget before the first token.
    assert.equal(throughputSample(generation({ stopReason: "timeBudget", firstTokenMs: null })), null);
    assert.equal(throughputSample(generation({ firstTokenMs: 0 })), null);
    assert.equal(throughputSample(undefined), null);
  });

  it("keeps the median of the first samples per model and starts over for another model or a reset", () => {
    const t = new PromptThroughput();
    assert.equal(t.tokensPerSecond("/m/a.gguf"), null);
    t.observe("/m/a.gguf", generation({ firstTokenMs: 1000 })); // 1000 tokens/s
    assert.equal(t.tokensPerSecond("/m/a.gguf"), 1000);
    t.observe("/m/a.gguf", generation({ reusedPromptTokens: 999 })); // no sample
    assert.equal(t.samples("/m/a.gguf"), 1);
    t.observe("/m/a.gguf", generation({ firstTokenMs: 10_000 })); // 100 tokens/s (the CPU was shared)
    t.observe("/m/a.gguf", generation({ firstTokenMs: 2000 })); // 500
    assert.equal(t.tokensPerSecond("/m/a.gguf"), 500);
    t.observe("/m/a.gguf", generation({ firstTokenMs: 100 })); // beyond the samples kept
    assert.equal(t.tokensPerSecond("/m/a.gguf"), 500);
    assert.equal(t.samples("/m/a.gguf"), AUTO_PROMPT.samples);
    assert.equal(t.tokensPerSecond("/m/b.gguf"), null, "another model is not measured by a's samples");
    t.observe("/m/b.gguf", generation({ firstTokenMs: 4000 }));
    assert.equal(t.tokensPerSecond("/m/b.gguf"), 250);
    assert.equal(t.tokensPerSecond("/m/a.gguf"), null);
    t.reset();
    assert.equal(t.tokensPerSecond("/m/b.gguf"), null);
  });

  it("sizes the window so a cold prompt (with the extra context) fits the target, within floor and cap", () => {
    // 300 tokens/s x 2 s = 600; less 0 extra; steps of 64: 576.
    assert.equal(resolvePromptTokens("auto", 300, 0).tokens, 576);
    // Less the extra-context budget: 2000 x 2 - 512 = 3488 -> 3456.
    assert.equal(resolvePromptTokens("auto", 2000, 512).tokens, 3456);
    const slow = resolvePromptTokens("auto", 40, 512);
    assert.equal(slow.tokens, AUTO_PROMPT.minTokens);
    assert.match(slow.why, /floor of 256/);
    assert.match(slow.why, /measured at 40 tokens\/s/);
    assert.match(slow.why, /less 512 for context from other files/);
    const fast = resolvePromptTokens("auto", 50_000, 512);
    assert.equal(fast.tokens, AUTO_PROMPT.maxTokens);
    assert.match(fast.why, /capped at 4096/);
    assert.equal(resolvePromptTokens("auto", 300, 0, { targetMs: 4000 }).tokens, 1152);
    // The loaded model's context bounds it too: 2048 - 512 extra - 256 for the header and output = 1280.
    assert.equal(resolvePromptTokens("auto", 50_000, 512, { contextSize: 2048 }).tokens, 1280);
    assert.equal(resolvePromptTokens("auto", 300, 0, { contextSize: 2048 }).tokens, 576);
    assert.equal(resolvePromptTokens("auto", 50_000, 512, { contextSize: 512 }).tokens, AUTO_PROMPT.minTokens);
  });

  it("uses the fallback before a measurement and the number when the setting is fixed", () => {
    const before = resolvePromptTokens("auto", null, 512);
    assert.equal(before.tokens, 1024);
    assert.match(before.why, /until a request measures/);
    const fixed = resolvePromptTokens(700, 40, 512);
    assert.deepEqual([fixed.tokens, fixed.auto, fixed.tokensPerSecond], [700, false, null]);
  });
});
