import * as assert from "node:assert/strict";
import { extractRewrite, restoreIndentation, rewriteComplete, unusableRewrite } from "../../../src/core/edit/extract";

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

describe("edit answers that must not become a review (seen on the real models)", () => {
  // Gemma 3 270M (base model, greedy) on "Add a comment ..." for a 7-line function: it wrote the
  // prompt back; its first block is the (empty) read-only context, which the review took for the
  // rewrite and proposed deleting the whole function.
  const GEMMA_ECHO = [
    "You edit code. Rewrite only the code you are given, following the instruction.",
    "",
    "---",
    "",
    "File: src/cart.js (javascript), indentation: 2 spaces.",
    "",
    "Code after the range (read-only, do not repeat it):",
    "```javascript",
    "",
    "```",
    "",
    "Rewrite this code (lines 1-7):",
    "```javascript",
    "export function total(items) {",
    "  let sum = 0;",
  ].join("\n");
  // SmolLM2-135M-Instruct on "Rename the variable sum to result.": a complete block, then the instruction repeated.
  const SMOLLM_AFTER =
    "```javascript\nexport function total(items) {\n  return 0;\n}\n```\n\nInstruction: Rename the variable sum to result.";

  it("refuses an answer that repeats the prompt before its code, naming a base model", () => {
    const why = unusableRewrite(GEMMA_ECHO, "maxTokens", { hasChatTemplate: false });
    assert.match(why ?? "", /repeated the prompt/);
    assert.match(why ?? "", /base model.*instruct/);
    assert.match(
      unusableRewrite(GEMMA_ECHO, "eogToken", { hasChatTemplate: true }) ?? "",
      /repeated the prompt.*larger model/,
    );
  });

  it("accepts a complete block followed by prose, even prose that repeats the instruction", () => {
    assert.equal(unusableRewrite(SMOLLM_AFTER, "eogToken", { hasChatTemplate: true }), null);
    assert.equal(unusableRewrite(SMOLLM_AFTER, "fence", { hasChatTemplate: true }), null);
    assert.equal(unusableRewrite("return a + b;\n", "eogToken", {}), null);
  });

  it("refuses an answer cut at its token limit before the code closed (fenced or plain)", () => {
    assert.match(unusableRewrite("```js\nconst a = 1;\nconst b", "maxTokens", {}) ?? "", /token limit/);
    assert.match(unusableRewrite("const a = 1;\nconst b", "maxTokens", {}) ?? "", /token limit/);
    // The block closed before the limit: the rewrite is whole.
    assert.equal(unusableRewrite("```js\nconst a = 1;\n```\nand then some", "maxTokens", {}), null);
  });
});
