import * as assert from "node:assert/strict";
import { prefilter, rightOfCursorAllowsCompletion } from "../../../src/core/completion/prefiltering/prefilter";
import { DEFAULT_COMPLETION_SETTINGS } from "../../../src/core/completion/settings";

describe("prefilter", () => {
  const rightCases: [string, boolean][] = [
    ["", true],
    ["   ", true],
    [")", true],
    ["]);", true],
    ['")', true],
    ["'}", true],
    ["`;", true],
    ["\nnext line is irrelevant()", true],
    [")\nfoo", true],
    ["x", false],
    [" + 1", false],
    ["foo()", false],
    [") {", false],
  ];
  for (const [suffix, ok] of rightCases) {
    it(`text right of cursor ${JSON.stringify(suffix)} -> ${ok ? "completes" : "skips"}`, () => {
      assert.equal(rightOfCursorAllowsCompletion(suffix), ok);
    });
  }

  const settings = { ...DEFAULT_COMPLETION_SETTINGS, disabledLanguages: ["markdown"] };
  it("skips disabled, disabled languages and mid-line positions, with the reason", () => {
    assert.deepEqual(
      prefilter({ languageId: "ts", suffix: "", manual: false, settings: { ...settings, enabled: false } }),
      { run: false, reason: "disabled" },
    );
    assert.deepEqual(prefilter({ languageId: "markdown", suffix: "", manual: false, settings }), {
      run: false,
      reason: "languageDisabled",
    });
    assert.deepEqual(prefilter({ languageId: "ts", suffix: "foo", manual: false, settings }), {
      run: false,
      reason: "cursorBeforeText",
    });
    assert.deepEqual(prefilter({ languageId: "ts", suffix: ")", manual: false, settings }), { run: true });
  });

  it("a manual trigger always runs", () => {
    assert.deepEqual(
      prefilter({ languageId: "markdown", suffix: "foo", manual: true, settings: { ...settings, enabled: false } }),
      { run: true },
    );
  });
});
