import * as assert from "node:assert/strict";
import {
  EditTooLongError,
  editUserMessage,
  EDIT_SYSTEM_PROMPT,
  planEditPrompt,
  type EditPromptInput,
} from "../../../src/core/edit/prompt";

/** One token per 4 characters, rounded up: enough to test the budget arithmetic. */
const count = async (text: string) => Math.ceil(text.length / 4);

const lines = Array.from({ length: 40 }, (_, i) => `line${String(i).padStart(2, "0")}();`);
const input = (over: Partial<EditPromptInput> = {}): EditPromptInput => ({
  instruction: "  rename things  ",
  path: "src/a.ts",
  languageId: "typescript",
  indentation: { insertSpaces: true, tabSize: 2 },
  lines,
  range: { startLine: 20, endLine: 21 },
  ...over,
});

describe("edit prompt", () => {
  it("lays out path, language, indentation, read-only context, the range and the instruction", () => {
    const text = editUserMessage(input(), 2, 1);
    assert.equal(
      text,
      [
        "File: src/a.ts (typescript), indentation: 2 spaces.",
        "Code before the range (read-only, do not repeat it):\n```typescript\nline18();\nline19();\n```",
        "Code after the range (read-only, do not repeat it):\n```typescript\nline22();\n```",
        "Rewrite this code (lines 21-22):\n```typescript\nline20();\nline21();\n```",
        "Instruction: rename things",
      ].join("\n\n"),
    );
    assert.match(
      editUserMessage(
        input({ indentation: { insertSpaces: false, tabSize: 4 }, range: { startLine: 0, endLine: 0 } }),
        0,
        0,
      ),
      /indentation: tabs\.[\s\S]*\(line 1\)/,
    );
  });

  it("a fence inside the code gets a longer fence", () => {
    const text = editUserMessage(input({ lines: ["```", "x"], range: { startLine: 0, endLine: 1 } }), 0, 0);
    assert.match(text, /````typescript\n```\nx\n````/);
  });

  it("gives all the context when it fits, with the system prompt first", async () => {
    const plan = await planEditPrompt(input(), { contextSize: 4096, count });
    assert.equal(plan.contextBefore, 20);
    assert.equal(plan.contextAfter, 18);
    assert.deepEqual(plan.messages[0], { role: "system", content: EDIT_SYSTEM_PROMPT });
    assert.equal(plan.maxTokens, Math.ceil(5 * 1.5) + 64);
  });

  it("trims the context, nearest lines kept, to fit a small window", async () => {
    const plan = await planEditPrompt(input(), { contextSize: 290, count });
    assert.ok(plan.contextBefore < 20 && plan.contextBefore > 0, `before ${plan.contextBefore}`);
    const total = (await Promise.all(plan.messages.map((m) => count(m.content)))).reduce((a, b) => a + b, 0);
    assert.ok(total + 64 + plan.maxTokens <= 290, `prompt ${total} + answer ${plan.maxTokens}`);
    assert.match(plan.messages[1]!.content, /line19\(\);\n```/);
  });

  it("refuses a range too long for the window with a clear message, never a cut", async () => {
    const long = input({ range: { startLine: 0, endLine: 39 } });
    await assert.rejects(planEditPrompt(long, { contextSize: 300, count }), (error: unknown) => {
      assert.ok(error instanceof EditTooLongError);
      assert.match(error.message, /40 lines \(\d+ tokens\).*context window is 300.*Select a smaller range/);
      return true;
    });
  });

  it("stops when aborted", async () => {
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(planEditPrompt(input(), { contextSize: 290, count, signal: abort.signal }));
  });
});
