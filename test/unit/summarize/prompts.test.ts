import * as assert from "node:assert/strict";
import { planPrompt } from "../../../src/core/chat/budget";
import { formatQuestion } from "../../../src/core/chat/promptFormat";
import { DEFAULT_CHAT_SYSTEM_PROMPT } from "../../../src/core/chat/settings";
import type { ContextItem } from "../../../src/core/chat/types";
import { finalQuestionBudget, MESSAGE_OVERHEAD_TOKENS } from "../../../src/core/summarize/budget";
import { parseLineRange, sliceLines } from "../../../src/core/summarize/lineRange";
import {
  combineUserPrompt,
  combinedPrompt,
  displayText,
  mapUserPrompt,
  omissionInstruction,
  omissionNote,
  partBlocks,
  singlePrompt,
  sourceContext,
  spanLabel,
  summariesContext,
  titleText,
  type SummarySource,
} from "../../../src/core/summarize/prompts";
import { countBytes } from "./helpers";

const source = (over: Partial<SummarySource> = {}): SummarySource => ({
  task: "summarize",
  text: "const a = 1;\n",
  path: "src/app/main.ts",
  languageId: "typescript",
  startLine: 10,
  wholeFile: false,
  ...over,
});

describe("summarize prompts", () => {
  it("a map prompt names the part, the file and its lines, and fences the code with its language", () => {
    const prompt = mapUserPrompt(source(), {
      index: 2,
      total: 5,
      startLine: 41,
      endLine: 80,
      text: "function f() {}\n",
    });
    assert.equal(
      prompt,
      "Part 2 of 5 of src/app/main.ts (lines 41-80):\n```typescript\nfunction f() {}\n```\n\n" +
        "Summarize this part in a few sentences: what it defines and what it does. Name the important functions, types and variables. Plain sentences, no code. No preamble.",
    );
  });

  it("a fence is longer than any backtick run in the code, so the code cannot close it", () => {
    const code = "const md = `\n```ts\nx\n```\n`;";
    const prompt = mapUserPrompt(source(), { index: 1, total: 2, startLine: 1, endLine: 5, text: code });
    assert.ok(prompt.includes("````typescript\nconst md"), prompt);
    assert.ok(prompt.includes("`;\n````\n\n"), "a line break is added before the closing fence");
  });

  it("explain asks for an explanation at every step", () => {
    const s = source({ task: "explain" });
    assert.match(
      mapUserPrompt(s, { index: 1, total: 2, startLine: 1, endLine: 2, text: "x" }),
      /Explain briefly what this part does/,
    );
    assert.match(
      singlePrompt(s, { startLine: 10, endLine: 10 }),
      /^Explain what the code above \(src\/app\/main\.ts, line 10\)/,
    );
    assert.match(
      singlePrompt(s, { startLine: 10, endLine: 10 }, ["parseLineRange", "sliceLines"]),
      /how it works, with its key functions \(parseLineRange, sliceLines\), step by step where that helps\. Be clear and concise\.$/,
    );
    assert.match(
      combinedPrompt(s, { startLine: 1, endLine: 900 }, 4),
      /explanations of the 4 consecutive parts .* explain what the whole selection does/,
    );
    assert.match(
      combineUserPrompt(s, [
        { startLine: 1, endLine: 2, text: "a" },
        { startLine: 3, endLine: 4, text: "b" },
      ]),
      /explanation of what they do of lines 1-4/,
    );
    assert.equal(titleText(s, { startLine: 3, endLine: 9 }), "Explanation of main.ts:3-9");
  });

  it("part summaries are listed in order with their lines; an empty one says so", () => {
    const blocks = partBlocks([
      { startLine: 1, endLine: 40, text: " First. " },
      { startLine: 41, endLine: 41, text: "" },
      { startLine: 42, endLine: 90, text: "Third." },
    ]);
    assert.equal(
      blocks,
      "Summary of lines 1-40:\nFirst.\n\nSummary of line 41:\n(The model wrote nothing for this part.)\n\nSummary of lines 42-90:\nThird.",
    );
    const combine = combineUserPrompt(source(), [
      { startLine: 1, endLine: 40, text: "A" },
      { startLine: 41, endLine: 90, text: "B" },
    ]);
    assert.ok(
      combine.startsWith(
        "Summaries of consecutive parts of src/app/main.ts (lines 1-90):\n\nSummary of lines 1-40:\nA\n\nSummary of lines 41-90:\nB\n\n",
      ),
    );
    assert.match(combine, /Combine them into one concise summary of lines 1-90/);
  });

  it("the exchange names the file and line range, and says when the whole file was used", () => {
    const span = { startLine: 10, endLine: 25 };
    assert.equal(spanLabel("a/b/c.py", span), "c.py:10-25");
    assert.equal(titleText(source(), span), "Summary of main.ts:10-25");
    assert.equal(displayText(source(), span, 1, []), "Summarize main.ts:10-25");
    const whole = source({ wholeFile: true, startLine: 1 });
    assert.equal(titleText(whole, { startLine: 1, endLine: 300 }), "Summary of main.ts (whole file)");
    assert.equal(
      displayText(whole, { startLine: 1, endLine: 300 }, 3, ["Lines 200-300 were left out: too long."]),
      "Summarize main.ts (whole file, lines 1-300: nothing was selected) — read in 3 parts\nNote: Lines 200-300 were left out: too long.",
    );
    assert.match(combinedPrompt(whole, { startLine: 1, endLine: 300 }, 3), /summary of the whole file/);
  });

  it("context inputs carry path, language and lines for the chat (and its follow-up questions)", () => {
    assert.deepEqual(sourceContext(source(), { startLine: 10, endLine: 10 }), {
      kind: "selection",
      label: "main.ts:10",
      path: "src/app/main.ts",
      languageId: "typescript",
      range: { startLine: 10, endLine: 10 },
      content: "const a = 1;\n",
    });
    assert.equal(sourceContext(source({ wholeFile: true }), { startLine: 1, endLine: 1 }).kind, "file");
    const summaries = summariesContext(source(), { startLine: 1, endLine: 90 }, [
      { startLine: 1, endLine: 90, text: "All." },
    ]);
    assert.equal(summaries.kind, "snippet");
    assert.equal(summaries.label, "Part summaries of main.ts:1-90");
    assert.equal(summaries.content, "Summary of lines 1-90:\nAll.");
  });

  it("omission notes name the lines left out, and the final prompt tells the model to say so", () => {
    assert.equal(
      omissionNote([{ startLine: 500, endLine: 900 }], "too long."),
      "Lines 500-900 were left out: too long.",
    );
    assert.equal(omissionNote([{ startLine: 7, endLine: 7 }], "x."), "Line 7 was left out: x.");
    assert.equal(omissionInstruction(source(), []), "");
    assert.equal(
      omissionInstruction(source({ wholeFile: true }), [{ startLine: 5, endLine: 9 }]),
      "\n\nImportant: lines 5-9 of the file could not be read (too long). Say so at the start of your answer.",
    );
  });

  describe("finalQuestionBudget mirrors the chat's planPrompt", () => {
    const item = (content: string): ContextItem => ({
      id: "c1",
      kind: "selection",
      label: "main.ts:1-9",
      path: "src/main.ts",
      languageId: "typescript",
      range: { startLine: 1, endLine: 9 },
      content,
      tokens: 0,
      approximate: true,
    });
    const count = async (text: string) => countBytes(text);
    for (const contextSize of [256, 1024, 4096, 8192])
      for (const [name, systemPrompt] of [
        ["default", DEFAULT_CHAT_SYSTEM_PROMPT],
        ["none", ""],
        ["huge", "Be terse. ".repeat(600)],
      ] as const)
        for (const maxTokens of [64, 1024])
          it(`at the limit nothing is shortened, one token over it is (context ${contextSize}, ${name} system prompt, ${maxTokens} answer tokens)`, async () => {
            const settings = { systemPrompt, maxTokens, temperature: 0 };
            const budget = await finalQuestionBudget(contextSize, settings, count);
            const question = "Summarize.";
            const overhead = countBytes(formatQuestion(question, [item("\n")])) - 1 + MESSAGE_OVERHEAD_TOKENS;
            const room = budget - overhead;
            if (room < 250) {
              // planPrompt leaves out (rather than shortens) attachments this small; nothing to compare.
              assert.ok(contextSize <= 1024 || name === "huge");
              return;
            }
            const fits = "a".repeat(room - 1) + "\n";
            const plan = await planPrompt({
              systemPrompt,
              history: [],
              question: { text: question, context: [item(fits)] },
              contextSize,
              maxTokens,
              count,
            });
            const planNotes = plan.notes.filter((n) => !n.startsWith("The system prompt"));
            assert.deepEqual(planNotes, [], `${fits.length} characters should fit`);
            assert.ok(plan.messages[plan.messages.length - 1]!.content.includes(fits));
            if (name === "huge") {
              // planPrompt shortens the system prompt to at most half the budget, often less: the
              // mirror assumes the most, so it is exact only for prompts that are not shortened.
              return;
            }
            const over = "a".repeat(room) + "\n";
            const tooMuch = await planPrompt({
              systemPrompt,
              history: [],
              question: { text: question, context: [item(over)] },
              contextSize,
              maxTokens,
              count,
            });
            assert.equal(
              tooMuch.notes.filter((n) => !n.startsWith("The system prompt")).length,
              1,
              "one character more must be shortened",
            );
          });
  });

  describe("line ranges", () => {
    it("parses A-B and A, and rejects everything else", () => {
      assert.deepEqual(parseLineRange("12-40"), { startLine: 12, endLine: 40 });
      assert.deepEqual(parseLineRange(" 7 "), { startLine: 7, endLine: 7 });
      assert.deepEqual(parseLineRange("3 - 4"), { startLine: 3, endLine: 4 });
      for (const bad of ["", "0-3", "5-4", "a-b", "1-", "-3", "1-2-3", "1.5"]) {
        assert.equal(parseLineRange(bad), null, bad);
      }
    });

    it("slices lines with their breaks, clamps the end, and refuses a start past the end", () => {
      const text = "one\ntwo\r\nthree\nfour";
      assert.deepEqual(sliceLines(text, { startLine: 2, endLine: 3 }), {
        text: "two\r\nthree\n",
        span: { startLine: 2, endLine: 3 },
      });
      assert.deepEqual(sliceLines(text, { startLine: 3, endLine: 99 }), {
        text: "three\nfour",
        span: { startLine: 3, endLine: 4 },
      });
      assert.throws(
        () => sliceLines(text, { startLine: 5, endLine: 6 }),
        /Line 5 is past the end \(the file has 4 lines\)/,
      );
    });
  });
});
