import * as assert from "node:assert/strict";
import { DEFAULT_CONTEXT_EXCLUDE, excludeMatcher } from "../../../src/core/context/exclude";
import { filterDiff } from "../../../src/core/context/gitDiff";
import { gitignoreFilter } from "../../../src/core/context/gitignore";
import { formatProblems, type Problem } from "../../../src/core/context/problems";

describe("Problems as chat context", () => {
  const p = (over: Partial<Problem>): Problem => ({
    path: "src/a.ts",
    line: 1,
    column: 1,
    severity: "error",
    message: "m",
    ...over,
  });

  it("one line per problem, errors first then by path and line, with the tool and code; hints left out", () => {
    const { text, count } = formatProblems([
      p({
        path: "src/b.ts",
        line: 3,
        severity: "warning",
        message: "unused x",
        source: "eslint",
        code: "no-unused-vars",
      }),
      p({
        path: "src/b.ts",
        line: 9,
        column: 4,
        message: "Type 'string' is not\n  assignable",
        source: "ts",
        code: 2322,
      }),
      p({ path: "src/a.ts", line: 7, message: "Cannot find name 'foo'." }),
      p({ severity: "hint", message: "could be const" }),
    ]);
    assert.equal(
      text,
      [
        "src/a.ts:7:1 error Cannot find name 'foo'.",
        "src/b.ts:9:4 error Type 'string' is not assignable [ts 2322]",
        "src/b.ts:3:1 warning unused x [eslint no-unused-vars]",
      ].join("\n"),
    );
    assert.equal(count, 3);
  });

  it("bounded, and says how many were left out; none says so", () => {
    const many = Array.from({ length: 5 }, (_, i) => p({ line: i + 1 }));
    assert.equal(formatProblems(many, 2).text.split("\n").pop(), "(3 more not shown)");
    assert.equal(formatProblems([]).text, "No problems.");
  });
});

describe("git diff as chat context", () => {
  const diff = [
    "diff --git a/src/a.ts b/src/a.ts",
    "index 1..2 100644",
    "--- a/src/a.ts",
    "+++ b/src/a.ts",
    "@@ -1 +1 @@",
    "-a",
    "+b",
    "diff --git a/.env b/.env",
    "--- a/.env",
    "+++ b/.env",
    "@@ -1 +1 @@",
    "-API_KEY=old",
    "+API_KEY=sk-new",
    "diff --git a/src/c.ts b/src/c.ts",
    "@@ -1 +1 @@",
    "+c",
    "",
  ].join("\n");

  it("drops the sections of excluded files and names them", () => {
    const { text, omitted } = filterDiff(diff, excludeMatcher(DEFAULT_CONTEXT_EXCLUDE).matches);
    assert.ok(!text.includes("API_KEY"));
    assert.ok(text.includes("+b") && text.includes("+c"));
    assert.deepEqual(omitted, [".env"]);
    assert.equal(filterDiff(diff, () => false).text, diff);
  });
});

describe("the file picker's .gitignore", () => {
  it("follows git's rules: folders, negation, anchored patterns", () => {
    const ignored = gitignoreFilter("node_modules/\ndist\n*.log\n!keep.log\n/build\n");
    for (const p of ["node_modules/x/index.js", "dist/a.js", "src/dist/a.js", "logs/a.log", "build/out.js"])
      assert.equal(ignored(p), true, p);
    for (const p of ["src/a.ts", "keep.log", "src/build/x.ts", "", "../outside.ts"]) assert.equal(ignored(p), false, p);
  });
});
