import * as assert from "node:assert/strict";
import { chooseEditRange, enclosingSymbol, paragraphAt, type SymbolInfo } from "../../../src/core/edit/range";

const lines = [
  "import x from 'x';",
  "",
  "class A {",
  "  run() {",
  "    go();",
  "  }",
  "}",
  "",
  "const a = 1;",
  "const b = 2;",
  "",
  "end();",
];
const symbols: SymbolInfo[] = [
  {
    name: "A",
    kind: "Class",
    range: { startLine: 2, endLine: 6 },
    children: [{ name: "run", kind: "Method", range: { startLine: 3, endLine: 5 }, children: [] }],
  },
  { name: "a", kind: "Constant", range: { startLine: 8, endLine: 8 } },
];
const at = (line: number, character = 0) => ({ line, character });

describe("edit range choice", () => {
  it("a selection gives its whole lines; ending at column 0 leaves that line out", () => {
    assert.deepEqual(
      chooseEditRange({ lines, selection: { start: at(3, 4), end: at(4, 2) }, cursor: at(4, 2), symbols }),
      {
        range: { startLine: 3, endLine: 4 },
        source: "selection",
        label: "selection",
      },
    );
    assert.deepEqual(
      chooseEditRange({ lines, selection: { start: at(3, 0), end: at(6, 0) }, cursor: at(6), symbols })!.range,
      { startLine: 3, endLine: 5 },
    );
  });

  it("an empty selection falls back to the innermost function-like symbol", () => {
    const choice = chooseEditRange({
      lines,
      selection: { start: at(4, 3), end: at(4, 3) },
      cursor: at(4, 3),
      symbols,
    })!;
    assert.deepEqual(choice, { range: { startLine: 3, endLine: 5 }, source: "symbol", label: "method run" });
    // On the class's own line: the class.
    assert.equal(chooseEditRange({ lines, selection: null, cursor: at(2), symbols })!.label, "class A");
  });

  it("a one-line symbol is no block: the paragraph of code is taken instead", () => {
    assert.equal(enclosingSymbol(symbols, 8), null);
    assert.deepEqual(chooseEditRange({ lines, selection: null, cursor: at(8), symbols }), {
      range: { startLine: 8, endLine: 9 },
      source: "paragraph",
      label: "lines 9-10",
    });
  });

  it("a blank line outside every symbol gives nothing to edit", () => {
    assert.equal(chooseEditRange({ lines, selection: null, cursor: at(10), symbols }), null);
    assert.deepEqual(paragraphAt(lines, 11), { startLine: 11, endLine: 11 });
    assert.deepEqual(paragraphAt(lines, 0), { startLine: 0, endLine: 0 });
  });
});
