import * as assert from "node:assert/strict";
import { openBlocks } from "../../../src/core/completion/postprocessing/blockEnd";
import { cutAtSimilarRepeats, endsInLoop, isIncrement } from "../../../src/core/completion/postprocessing/filters";
import { syntaxFor } from "../../../src/core/completion/postprocessing/syntax";

describe("open blocks at the cursor", () => {
  const ts = syntaxFor("typescript");
  const summary = (prefix: string, suffix: string, lang = ts) =>
    openBlocks(prefix, suffix, lang, 2)
      .blocks.map((b) => `${b.kind}${b.closedOnCursorLine ? "R" : ""}${b.closedBelow ? "B" : ""}`)
      .join(" ");

  it("pairs a closer below by indentation: the function's `}`, not the loop's", () => {
    assert.equal(summary("function f() {\n  for (;;) {\n    ", "\n}\n"), "}B }");
  });
  it("pairs auto-closed closers right of the cursor innermost first", () => {
    assert.equal(summary("list.map((x) => {", "});\n"), ")R }R");
  });
  it("tells kinds apart", () => {
    assert.equal(summary("foo(bar[", "\n)"), ")B ]");
  });
  it("keyword blocks: a module's `end` at column 0 is not the method's", () => {
    assert.equal(summary("defmodule M do\n  def f do\n    ", "\nend\n", syntaxFor("elixir")), "endB end");
  });
  it("reports a docstring the cursor is in", () => {
    assert.equal(openBlocks('def f():\n    """', "", syntaxFor("python"), 4).inTriple, '"""');
  });
});

describe("repetition by similarity", () => {
  it("finds loops at the end of a line", () => {
    for (const loop of ["x = x = x = x = x = x", "1, 1, 1, 1, 1, 1", "0".repeat(24), 'a .. "a" .. "a" .. "a" .. "a"'])
      assert.equal(endsInLoop(loop), true, loop);
    for (const ok of [
      "[0, 0, 0, 0, 0, 0];",
      "| --- | --- | --- | --- |",
      "0.3333333333333333",
      "a = b = c",
      "// ----------------------------",
    ]) {
      assert.equal(endsInLoop(ok), false, ok);
    }
  });
  it("counts names up", () => {
    assert.equal(isIncrement("b", "c"), true);
    assert.equal(isIncrement("test9", "test10"), true);
    assert.equal(isIncrement("red", "green"), false);
    assert.equal(isIncrement("x1", "y2"), false);
  });
  it("keeps a series the model ended itself, cuts one that runs into the cap", () => {
    const series = ["const b = 1;", "const c = 1;", "const d = 1;", "const e = 1;"];
    assert.deepEqual(cutAtSimilarRepeats(series, "", 8).lines, series);
    assert.deepEqual(cutAtSimilarRepeats(series, "", 4).lines, ["const b = 1;"]);
  });
});
