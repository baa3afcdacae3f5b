import * as assert from "node:assert/strict";
import {
  CompletionStats,
  percentile,
  reasonInWords,
  statsMarkdown,
  stepKind,
} from "../../../src/core/completion/stats/completionStats";
import type { PipelineResult } from "../../../src/core/completion/pipeline";

const result = (reason: PipelineResult["reason"], ms: number, evaluated?: number, ghost = false): PipelineResult => ({
  reason,
  ghost: ghost ? { text: "x", replaceRight: 0 } : null,
  timings: { totalMs: ms, promptMs: 0, generateMs: null, firstChunkMs: null, earlyGhostMs: null },
  ...(evaluated !== undefined
    ? {
        generation: {
          text: "x",
          stopReason: "eogToken",
          promptTokens: 1000,
          reusedPromptTokens: 1000 - evaluated,
          generatedTokens: 3,
          firstTokenMs: 1,
          ms,
        },
      }
    : {}),
});

describe("completion statistics", () => {
  it("tells typing, a new line and a new place apart", () => {
    const at = (uri: string, line: number) => ({ uri, line });
    assert.equal(stepKind(null, at("a", 1)), "newPlace");
    assert.equal(stepKind(at("a", 1), at("a", 1)), "typing");
    assert.equal(stepKind(at("a", 1), at("a", 2)), "newLine");
    assert.equal(stepKind(at("a", 1), at("a", 9)), "newPlace");
    assert.equal(stepKind(at("a", 1), at("b", 2)), "newPlace");
  });

  it("counts requests, shown, accepted and per-step latency and evaluated tokens", () => {
    const stats = new CompletionStats();
    for (let i = 1; i <= 20; i++) stats.record("typing", result("ok", i * 10, 2, true));
    stats.record("newLine", result("ok", 300, 5, true));
    stats.record("newPlace", result("cursorBeforeText", 1));
    stats.record("warmUp", result("warmUp", 900, 700));
    stats.superseded();
    stats.recordAccepted();
    const s = stats.summary();
    assert.equal(s.requests, 23, "warm-ups are not requests");
    assert.equal(s.shown, 21);
    assert.equal(s.accepted, 1);
    assert.equal(s.reasons.ok, 21);
    assert.equal(s.reasons.superseded, 1);
    const typing = s.steps.find((x) => x.kind === "typing")!;
    assert.deepEqual(
      [typing.requests, typing.latencyP50Ms, typing.latencyP95Ms, typing.evaluatedP50],
      [20, 100, 190, 2],
    );
    assert.equal(s.steps.find((x) => x.kind === "warmUp")!.evaluatedP50, 700);
    const md = statsMarkdown(s, reasonInWords("cursorBeforeText"));
    assert.match(md, /\| new line \(Enter\) \| 1 \| 300 ms \| 300 ms \| 5 \| 5 \|/);
    assert.match(md, /Last request: nothing suggested: text sits right of the cursor/);
    assert.match(md, /never sent anywhere/);
  });

  it("says the reason of a request in words", () => {
    assert.match(reasonInWords("cache"), /cache/);
    assert.match(reasonInWords("languageDisabled"), /disabled for this language/);
    assert.match(reasonInWords("rejected:repeatsLineAbove"), /repeat of the line above/);
    assert.match(reasonInWords("modelLoading"), /loading/);
    assert.match(reasonInWords("superseded"), /newer keystroke/);
    assert.match(reasonInWords("error", "the worker stopped"), /the worker stopped/);
  });

  it("percentile is nearest-rank", () => {
    assert.equal(percentile([], 50), null);
    assert.equal(percentile([3, 1, 2], 50), 2);
    assert.equal(percentile([1, 2, 3, 4], 95), 4);
  });
});
