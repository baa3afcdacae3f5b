import * as assert from "node:assert/strict";
import { promptWindow } from "../../../src/core/completion/context/promptWindow";
import { calibratedEstimator, estimateTokens } from "../../../src/core/util/tokenEstimate";

const chars = (t: string) => t.length;
const lines = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `${tag}${String(i).padStart(4, "0")}xxxx`).join("\n") + "\n";

describe("token counting", () => {
  it("estimates ~3 chars per token, rounding up", () => {
    assert.equal(estimateTokens(""), 0);
    assert.equal(estimateTokens("abc"), 1);
    assert.equal(estimateTokens("abcd"), 2);
  });
  it("calibrates from one exact measurement", () => {
    assert.equal(calibratedEstimator(400, 100)("x".repeat(40)), 10);
    assert.equal(calibratedEstimator(0, 0)("abcdef"), 2);
  });
});

describe("prompt window", () => {
  it("keeps a small document whole", () => {
    const w = promptWindow("a\nb\nc", "d\ne", { budgetTokens: 1000 });
    assert.deepEqual([w.prefix, w.suffix, w.prefixTruncated, w.suffixTruncated], ["a\nb\nc", "d\ne", false, false]);
  });

  it("splits the budget ~3/4 prefix, 1/4 suffix, at line boundaries", () => {
    const prefix = lines(100, "p") + "cur";
    const suffix = "rest\n" + lines(100, "s");
    const w = promptWindow(prefix, suffix, { budgetTokens: 400, countTokens: chars, anchorLines: 1 });
    assert.ok(w.prefix.endsWith("\ncur") && w.suffix.startsWith("rest\n"));
    assert.ok(w.suffixTokens <= 100 && w.suffixTokens > 80, `suffix ${w.suffixTokens}`);
    assert.ok(w.prefixTokens > 280 && w.prefixTokens + w.suffixTokens <= 400, `prefix ${w.prefixTokens}`);
    assert.ok(w.prefix.startsWith("p"), "prefix starts at a line start");
    assert.ok(w.suffix.endsWith("\n"), "suffix ends at a line end");
    assert.equal(chars(w.prefix), w.prefixTokens);
    assert.ok(w.prefixTruncated && w.suffixTruncated);
  });

  it("gives the suffix's unused share to the prefix, and the prefix's to the suffix", () => {
    const big = lines(100, "p");
    const w1 = promptWindow(big, "\n}", { budgetTokens: 400, countTokens: chars, anchorLines: 1 });
    assert.ok(w1.prefixTokens > 380, `prefix ${w1.prefixTokens}`);
    const w2 = promptWindow("x", "\n" + lines(100, "s"), { budgetTokens: 400, countTokens: chars, anchorLines: 1 });
    assert.ok(w2.suffixTokens > 380, `suffix ${w2.suffixTokens}`);
  });

  it("cuts a huge cursor line from its start and keeps the text nearest the cursor", () => {
    const w = promptWindow("a\n" + "y".repeat(1000) + "END", "", { budgetTokens: 100, countTokens: chars });
    assert.ok(w.prefix.endsWith("END") && w.prefix.length <= 100 && w.prefixTruncated);
  });

  it("snaps the prefix start so typing on one line keeps the prompt start (KV-cache reuse)", () => {
    const above = lines(300, "p");
    const suffix = "\n" + lines(300, "s");
    const starts = (anchorLines: number) => {
      const seen = new Set<number>();
      for (let typed = 0; typed < 40; typed++) {
        const w = promptWindow(above + "z".repeat(typed), suffix, {
          budgetTokens: 400,
          countTokens: chars,
          anchorLines,
        });
        assert.equal(w.prefixStartLine % anchorLines, 0);
        seen.add(w.prefixStartLine);
      }
      return seen.size;
    };
    assert.ok(starts(1) >= 4, "without snapping the start moves every few keystrokes");
    assert.ok(starts(16) <= 2, "with snapping it moves at most once over 40 keystrokes");
  });

  it("the suffix window does not move while the user types before it", () => {
    const suffix = ")\n" + lines(300, "s");
    const a = promptWindow(lines(50, "p") + "foo(", suffix, { budgetTokens: 400, countTokens: chars });
    const b = promptWindow(lines(50, "p") + "foo(abc", suffix, { budgetTokens: 400, countTokens: chars });
    assert.equal(a.suffix, b.suffix);
  });
});
