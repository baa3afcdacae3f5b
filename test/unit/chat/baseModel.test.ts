import * as assert from "node:assert/strict";
import { baseModelChatStops } from "../../../src/core/chat/baseModel";

describe("chat on a base model: plain-text stop strings", () => {
  // What the real Gemma 3 270M base model wrote after the question (docs/real-models.md).
  const runOn = "What is the capital of France?payments\npaymentsmodel\nYou are a helpful coding assistant.";

  /** Where a generation that stops at the first of these strings ends. */
  function cut(text: string, stops: string[]): string {
    const at = Math.min(...stops.map((s) => text.indexOf(s)).filter((i) => i >= 0), text.length);
    return text.slice(0, at);
  }

  it("cut the next turn's header the model writes as text, and what follows it", () => {
    assert.equal(cut(runOn, baseModelChatStops()), "What is the capital of France?payments\npayments");
  });

  it("cover the role headers of the Gemma and ChatML formats and the turn markers written out", () => {
    const stops = baseModelChatStops();
    for (const s of [
      "user\n",
      "model\n",
      "assistant\n",
      "<start_of_turn>",
      "<end_of_turn>",
      "<|im_start|>",
      "<|im_end|>",
    ])
      assert.ok(stops.includes(s), s);
  });

  it("leave an answer without a turn header whole", () => {
    const answer = "Paris is the capital.\n\n```python\ndef add(a, b):\n    return a + b\n```";
    assert.equal(cut(answer, baseModelChatStops()), answer);
  });
});
