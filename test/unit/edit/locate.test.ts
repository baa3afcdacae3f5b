import * as assert from "node:assert/strict";
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
