import * as assert from "node:assert/strict";
import { endsWithBlockOpener, scanLine, syntaxFor, unmatchedClosers } from "../../../src/core/completion/postprocessing/syntax";

describe("bracket scanning", () => {
  const cases: [string, string, { delta: number; minDepth: number; openString: boolean }][] = [
    ["typescript", "foo(a, [b]) {", { delta: 1, minDepth: 0, openString: false }],
    ["typescript", "});", { delta: -2, minDepth: -2, openString: false }],
    ["typescript", "} else {", { delta: 0, minDepth: -1, openString: false }],
    ["typescript", 'x = ")" + "(";', { delta: 0, minDepth: 0, openString: false }],
    ["typescript", "s = `${a}`", { delta: 0, minDepth: 0, openString: false }],
    ["typescript", 'x = "abc', { delta: 0, minDepth: 0, openString: true }],
    ["typescript", 'x = "a\\"b" + (', { delta: 1, minDepth: 0, openString: false }],
    ["typescript", "f(); // }}}", { delta: 0, minDepth: 0, openString: false }],
    ["python", "d = {  # )))", { delta: 1, minDepth: 0, openString: false }],
    ["rust", "fn f<'a>(x: &'a str) {", { delta: 1, minDepth: 0, openString: false }],
    ["rust", "if c == '}' {", { delta: 1, minDepth: 0, openString: false }],
    ["rust", "let s = '\\n'; (", { delta: 1, minDepth: 0, openString: false }],
    ["json", '{"a": "}"', { delta: 1, minDepth: 0, openString: false }],
  ];
  for (const [lang, line, want] of cases) {
    it(`${lang}: ${line}`, () => {
      const { delta, minDepth, openString } = scanLine(line, syntaxFor(lang));
      assert.deepEqual({ delta, minDepth, openString }, want);
    });
  }

  it("reports where a line comment starts", () => {
    assert.equal(scanLine("x = 1 # c", syntaxFor("python")).commentAt, 6);
    assert.equal(scanLine('s = "#"', syntaxFor("python")).commentAt, -1);
  });

  it("counts the unmatched closers below the cursor", () => {
    assert.equal(unmatchedClosers("\n  }\n}\n", syntaxFor("typescript")), 2);
    assert.equal(unmatchedClosers("\n  if (x) { y(); }\n}", syntaxFor("typescript")), 1);
    assert.equal(unmatchedClosers("\nfoo()\n", syntaxFor("typescript")), 0);
  });

  it("knows block openers at the end of a line", () => {
    assert.equal(endsWithBlockOpener("def f():", syntaxFor("python")), true);
    assert.equal(endsWithBlockOpener("if (x) {  // start", syntaxFor("typescript")), true);
    assert.equal(endsWithBlockOpener("const f = () =>", syntaxFor("typescript")), true);
    assert.equal(endsWithBlockOpener("x = 1", syntaxFor("python")), false);
    assert.equal(endsWithBlockOpener("s = '{'", syntaxFor("python")), false);
  });
});
