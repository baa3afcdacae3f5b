import * as assert from "node:assert/strict";
import { relocateRange } from "../../../src/core/edit/relocate";

const range = ["function f() {", "  return 1;", "}"];

describe("edit relocation (stale file)", () => {
  it("keeps the range where it was when it is still there", () => {
    assert.deepEqual(relocateRange(range, 2, ["a", "b", ...range]), { ok: true, startLine: 2, moved: false });
  });

  it("follows the range when lines were added or removed above it", () => {
    assert.deepEqual(relocateRange(range, 2, ["x", "y", "z", "w", ...range]), { ok: true, startLine: 4, moved: true });
    assert.deepEqual(relocateRange(range, 2, range), { ok: true, startLine: 0, moved: true });
  });

  it("picks the occurrence nearest to where it was", () => {
    const document = [...range, "", "", "", "", "", ...range, ...range];
    assert.equal((relocateRange(range, 9, document) as { startLine: number }).startLine, 8);
  });

  it("tolerates trailing whitespace added since", () => {
    assert.deepEqual(relocateRange(range, 0, ["function f() {  ", "  return 1;", "}"]), {
      ok: true,
      startLine: 0,
      moved: false,
    });
  });

  it("says why when the code itself changed", () => {
    const result = relocateRange(range, 1, ["a", "function f() {", "  return 2;", "}"]);
    assert.equal(result.ok, false);
    assert.match((result as { reason: string }).reason, /lines 2-4 no longer hold it/);
  });
});
