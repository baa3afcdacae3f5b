import * as assert from "node:assert/strict";
import { extractRewrite, restoreIndentation, rewriteComplete } from "../../../src/core/edit/extract";

describe("edit answer extraction", () => {
  it("takes the first fenced block's content, ignoring prose around it", () => {
    const answer = "Here it is:\n\n```js\nconst a = 1;\nconst b = 2;\n```\n\nDone.";
    assert.deepEqual(extractRewrite(answer, true), ["const a = 1;", "const b = 2;"]);
    assert.deepEqual(extractRewrite("~~~~\nx\n~~~~", true), ["x"]);
  });

  it("while streaming, gives only complete lines of an open fence", () => {
    assert.deepEqual(extractRewrite("```js\nconst a = 1;\nconst b", false), ["const a = 1;"]);
    assert.deepEqual(extractRewrite("```js\n", false), []);
    // A closed fence is complete even mid-stream.
    assert.deepEqual(extractRewrite("```js\nx\n```\nmore", false), ["x"]);
  });

  it("an answer without a fence is the code itself, trimmed of blank edge lines when final", () => {
    assert.deepEqual(extractRewrite("\nreturn a + b;\n\n", true), ["return a + b;"]);
    assert.deepEqual(extractRewrite("return a + b;\nreturn", false), ["return a + b;"]);
  });

  it("waits while an unfenced answer opens like prose, since a fence may follow", () => {
    assert.equal(extractRewrite("Here is the rewritten code:\n", false), null);
    assert.equal(extractRewrite("", false), null);
    assert.deepEqual(extractRewrite("", true), []);
  });

  it("a fence inside the code does not end a longer fence", () => {
    assert.deepEqual(extractRewrite("````md\n```js\nx\n```\n````", true), ["```js", "x", "```"]);
  });

  it("puts back the range's indentation when the rewrite is flush left", () => {
    assert.deepEqual(restoreIndentation(["    if (a) {", "      b();", "    }"], ["if (a) {", "  c();", "", "}"]), [
      "    if (a) {",
      "      c();",
      "",
      "    }",
    ]);
    // Already indented (or the range flush left): unchanged.
    assert.deepEqual(restoreIndentation(["    x();"], ["    y();"]), ["    y();"]);
    assert.deepEqual(restoreIndentation(["x();"], ["y();"]), ["y();"]);
  });

  it("knows when the rewrite is complete: its fence closed on a whole line", () => {
    assert.equal(rewriteComplete("Sure:\n```js\nx\n```\n"), true);
    assert.equal(rewriteComplete("```js\nx\n``"), false);
    assert.equal(rewriteComplete("```js\nx\n```"), false, "the line may still grow into ```` or text");
    assert.equal(rewriteComplete("````\n```\nx\n"), false);
    assert.equal(rewriteComplete("x\n```\n"), false, "an unfenced answer is complete only when it ends");
  });
});
