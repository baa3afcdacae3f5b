import * as assert from "node:assert/strict";
import {
  endsWithBlockOpener,
  isOnlyClosers,
  scanLine,
  syntaxFor,
  unmatchedClosers,
} from "../../../src/core/completion/postprocessing/syntax";

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

describe("block events: kinds, keywords, docstrings", () => {
  const kinds = (line: string, lang: string) =>
    scanLine(line, syntaxFor(lang))
      .events.map((e) => `${e.open ? "+" : "-"}${e.kind}${e.reopen ? "!" : ""}`)
      .join(" ");
  const cases: [string, string, string][] = [
    ["typescript", "} else {", "-} +}"],
    ["typescript", "): number {", "-) +}"],
    ["ruby", "def fibonacci(n)", "+end +) -)"],
    ["ruby", "  return n if n < 2", ""],
    ["ruby", "x = if ready", "+end"],
    ["ruby", "items.each do |x|", "+end"],
    ["ruby", "elsif n > 2", "-end! +end"],
    ["ruby", "end", "-end"],
    ["ruby", "obj.end", ""],
    ["lua", "if a > b then", "+end"],
    ["lua", "local f = function(x) return x end", "+end +) -) -end"],
    ["shellscript", "if [ -f x ]; then", "+fi +] -]"],
    ["shellscript", "for f in *.txt; do", "+done"],
    ["shellscript", "done", "-done"],
    ["elixir", "def add(a, b), do: a + b", "+) -)"],
    ["julia", "x = a[end]", "+] -]"],
    ["python", 'x = "end"  # do', ""],
  ];
  for (const [lang, line, want] of cases) {
    it(`${lang}: ${line}`, () => assert.equal(kinds(line, lang), want));
  }

  it("follows a Python docstring across lines", () => {
    const py = syntaxFor("python");
    assert.equal(scanLine('    """Sum (of', py).openTriple, '"""');
    const inside = scanLine("    don't ( count", py, '"""');
    assert.deepEqual([inside.openTriple, inside.openString, inside.events.length], ['"""', false, 0]);
    assert.equal(scanLine('    """', py, '"""').openTriple, "");
  });

  it("keyword lines open blocks", () => {
    assert.equal(endsWithBlockOpener("def fibonacci(n)", syntaxFor("ruby")), true);
    assert.equal(endsWithBlockOpener("for f in *; do", syntaxFor("shellscript")), true);
    assert.equal(endsWithBlockOpener("puts x", syntaxFor("ruby")), false);
  });

  it("closers only: what auto-closing leaves right of the cursor", () => {
    assert.equal(isOnlyClosers("})"), true);
    assert.equal(isOnlyClosers('");'), true);
    assert.equal(isOnlyClosers("b)"), false);
    assert.equal(isOnlyClosers("  "), false);
    assert.equal(isOnlyClosers(";"), false);
    assert.equal(isOnlyClosers(">"), false);
  });
});
