import * as assert from "node:assert/strict";
import { ApplyCodeBlockArgsSchema, blockLines, chooseApplyTarget } from "../../../src/core/edit/apply";
import { locateSelection, matchBlock, MIN_MATCH_SCORE } from "../../../src/core/edit/locate";
import type { SymbolInfo } from "../../../src/core/edit/range";

const FILE = [
  "import x from 'x';",
  "",
  "export function add(a, b) {",
  "    return a + b;",
  "}",
  "",
  "export function multiply(a, b) {",
  "    return a * b;",
  "}",
  "",
  "export function negate(a) {",
  "    return -a;",
  "}",
];

const fn = (name: string, startLine: number, endLine: number): SymbolInfo => ({
  name,
  kind: "Function",
  range: { startLine, endLine },
});
const SYMBOLS = [fn("add", 2, 4), fn("multiply", 6, 8), fn("negate", 10, 12)];

describe("edit apply-from-chat: the remembered selection", () => {
  const selected = "export function multiply(a, b) {\n    return a * b;\n}\n";

  it("is where it was when the file did not change", () => {
    assert.deepEqual(locateSelection(selected, { startLine: 6, endLine: 8 }, FILE), {
      ok: true,
      range: { startLine: 6, endLine: 8 },
      moved: false,
    });
  });

  it("is followed when lines were added above it since the answer", () => {
    const changed = ["// header", "// more", ...FILE];
    assert.deepEqual(locateSelection(selected, { startLine: 6, endLine: 8 }, changed), {
      ok: true,
      range: { startLine: 8, endLine: 10 },
      moved: true,
    });
  });

  it("covers whole lines when the selection started and ended inside lines", () => {
    const partial = "function multiply(a, b) {\n    return a * b;\n}";
    assert.deepEqual(locateSelection(partial, { startLine: 6, endLine: 8 }, FILE), {
      ok: true,
      range: { startLine: 6, endLine: 8 },
      moved: false,
    });
    assert.deepEqual(locateSelection("a * b", { startLine: 7, endLine: 7 }, FILE), {
      ok: true,
      range: { startLine: 7, endLine: 7 },
      moved: false,
    });
  });

  it("ignores line endings and trailing whitespace", () => {
    const crlf = "export function multiply(a, b) {  \r\n    return a * b;\r\n}\r\n";
    assert.equal(locateSelection(crlf, { startLine: 6, endLine: 8 }, FILE).ok, true);
  });

  it("picks the copy nearest to where the selection was", () => {
    const twice = [...FILE, "", ...FILE.slice(6, 9)];
    const result = locateSelection(selected, { startLine: 14, endLine: 16 }, twice);
    assert.deepEqual(result, { ok: true, range: { startLine: 14, endLine: 16 }, moved: false });
  });

  it("says why when the selected code itself changed", () => {
    const changed = FILE.map((l) => l.replace("a * b", "b * a"));
    const result = locateSelection(selected, { startLine: 6, endLine: 8 }, changed);
    assert.equal(result.ok, false);
    assert.match((result as { reason: string }).reason, /lines 7-9 .*changed since the answer/);
  });
});

describe("edit apply-from-chat: fuzzy match of a block", () => {
  it("finds the function a rewritten block belongs to (by symbols)", () => {
    const block = ["function multiply(a, b) {", "  // Multiplies.", "  return Math.imul(a, b);", "}"];
    const match = matchBlock(block, FILE, SYMBOLS);
    assert.ok(match);
    assert.deepEqual(match.range, { startLine: 6, endLine: 8 });
    assert.equal(match.source, "symbol");
    assert.equal(match.label, "function multiply");
  });

  it("takes a run of neighbouring functions when the block rewrites several", () => {
    const block = [
      "export function add(a, b) {",
      "    return a + b;",
      "}",
      "",
      "export function multiply(a, b) {",
      "    return Math.imul(a, b);",
      "}",
    ];
    const match = matchBlock(block, FILE, SYMBOLS);
    assert.deepEqual(match?.range, { startLine: 2, endLine: 8 });
    assert.equal(match?.label, "add … multiply");
  });

  it("matches lines when there are no symbols, trimming unrelated lines at the edges", () => {
    const block = ["    return a * b;", "}", "", "export function negate(a) {", "    return 0 - a;", "}"];
    const match = matchBlock(block, FILE, []);
    assert.ok(match);
    assert.equal(match.source, "lines");
    assert.deepEqual(match.range, { startLine: 7, endLine: 12 });
  });

  it("ignores indentation differences (a flush-left block)", () => {
    const block = ["export function negate(a) {", "return -a;", "}"];
    assert.deepEqual(matchBlock(block, FILE, SYMBOLS)?.range, { startLine: 10, endLine: 12 });
  });

  it("gives nothing for a block unlike the file (the user is asked instead)", () => {
    const block = ["class Stack {", "  push(x) { this.items.push(x); }", "  pop() { return this.items.pop(); }", "}"];
    assert.equal(matchBlock(block, FILE, SYMBOLS), null);
    assert.equal(matchBlock([], FILE, SYMBOLS), null);
    assert.equal(matchBlock(["  ", ""], FILE, SYMBOLS), null);
  });

  it("scores a perfect copy 1 and keeps below-threshold guesses out", () => {
    assert.equal(matchBlock(FILE.slice(10), FILE, SYMBOLS)?.score, 1);
    // One common line ("}") out of four is not enough.
    const block = ["while (true) {", "  spin();", "  again();", "}"];
    const match = matchBlock(block, FILE, SYMBOLS);
    assert.ok(match === null || match.score >= MIN_MATCH_SCORE);
    assert.equal(match, null);
  });
});

describe("edit apply-from-chat: where the block goes", () => {
  const block = ["export function multiply(a, b) {", "    return Math.imul(a, b);", "}"];
  const selection = { startLine: 7, endLine: 9, content: FILE.slice(6, 9).join("\n") };

  it("takes the selection the question was about, even when the block looks like another function", () => {
    const other = ["export function add(a, b) {", "    return a + b; // sum", "}"];
    assert.deepEqual(chooseApplyTarget({ block: other, lines: FILE, symbols: SYMBOLS, selection }), {
      kind: "range",
      range: { startLine: 6, endLine: 8 },
      label: "the selection (lines 7-9)",
      source: "selection",
      note: null,
    });
  });

  it("says where the selection moved when the file changed since the answer", () => {
    const target = chooseApplyTarget({ block, lines: ["// new", ...FILE], symbols: [], selection });
    assert.equal(target.kind, "range");
    assert.deepEqual((target as { range: unknown }).range, { startLine: 7, endLine: 9 });
    assert.match((target as { note: string }).note, /moved to lines 8-10/);
  });

  it("falls back to the fuzzy match, with the reason, when the selected code changed", () => {
    const changed = FILE.map((l) => l.replace("a * b", "b * a"));
    const target = chooseApplyTarget({ block, lines: changed, symbols: SYMBOLS, selection });
    assert.equal(target.kind, "range");
    assert.equal((target as { label: string }).label, "function multiply");
    assert.match((target as { note: string }).note, /^The code the question was about .* changed .*closest match/);
  });

  it("asks (with the reason) when neither the selection nor a match is found", () => {
    const unrelated = ["class Stack {", "  push(x) { this.items.push(x); }", "}"];
    assert.deepEqual(chooseApplyTarget({ block: unrelated, lines: FILE, symbols: SYMBOLS, selection: null }), {
      kind: "ask",
      reason: null,
    });
    const gone = chooseApplyTarget({ block: unrelated, lines: FILE.slice(0, 5), symbols: [], selection });
    assert.equal(gone.kind, "ask");
    assert.match((gone as { reason: string }).reason, /changed since the answer/);
  });

  it("takes a block's lines without a trailing newline or a fence left around it", () => {
    assert.deepEqual(blockLines("a\nb\n"), ["a", "b"]);
    assert.deepEqual(blockLines("```js\na\n```"), ["a"]);
    assert.deepEqual(blockLines("a\r\n\r\nb\r\n"), ["a", "", "b"]);
  });

  it("validates what crosses the command boundary", () => {
    const ok = { code: "x", language: null, selection: null, editorUri: null };
    assert.equal(ApplyCodeBlockArgsSchema.safeParse(ok).success, true);
    assert.equal(ApplyCodeBlockArgsSchema.safeParse({ ...ok, extra: 1 }).success, false);
    assert.equal(
      ApplyCodeBlockArgsSchema.safeParse({ ...ok, selection: { path: "a.js", startLine: 0, endLine: 1, content: "" } })
        .success,
      false,
    );
  });
});
