import * as assert from "node:assert/strict";
import { planPrompt } from "../../../src/core/chat/budget";
import { formatQuestion } from "../../../src/core/chat/promptFormat";
import { DEFAULT_CHAT_SYSTEM_PROMPT } from "../../../src/core/chat/settings";
import { chunkText } from "../../../src/core/summarize/chunker";
import {
  planSummary,
  runSummaryPlan,
  summarize,
  SummaryError,
  type FinalSettings,
  type SummaryProgress,
  type SummarySource,
} from "../../../src/core/summarize/mapReduce";
import { MESSAGE_OVERHEAD_TOKENS } from "../../../src/core/summarize/budget";
import { declaredNames } from "../../../src/core/summarize/declarations";
import { combinedPrompt, MAP_SYSTEM_PROMPT, summariesContext } from "../../../src/core/summarize/prompts";
import { countBytes, FakeModel, syntheticSource } from "./helpers";

const FINAL: FinalSettings = { systemPrompt: "You are a helpful coding assistant.", maxTokens: 200, temperature: 0.3 };
const count = (text: string) => countBytes(text);

const source = (text: string, over: Partial<SummarySource> = {}): SummarySource => ({
  task: "summarize",
  text,
  path: "src/lib/math.ts",
  languageId: "typescript",
  startLine: 1,
  wholeFile: false,
  ...over,
});

/** The code each map call was given, in call order (the text between the fences). */
function mappedCode(model: FakeModel): string[] {
  return model.byPurpose("map").map((call) => {
    const user = call.request.messages[1]!.content;
    const match = /^Part \d+ of \d+ of [^\n]*\n(`{3,})typescript\n([\s\S]*)\n\1\n\n/.exec(user);
    assert.ok(match, `unexpected map prompt:\n${user}`);
    return match[2]!;
  });
}

describe("summarize map-reduce", () => {
  it("a small selection is one exchange, built exactly as the chat builds it: no map calls", async () => {
    const model = new FakeModel(() => "It adds numbers.");
    const text = "export function add(a: number, b: number): number {\n  return a + b;\n}\n";
    const result = await summarize(source(text, { startLine: 10 }), {
      contextSize: 1024,
      final: FINAL,
      count,
      generate: model.generate,
    });
    assert.equal(result.text, "It adds numbers.");
    assert.equal(result.mapCalls, 0);
    assert.equal(result.combineCalls, 0);
    assert.equal(result.parts, 1);
    assert.deepEqual(result.notes, []);
    assert.deepEqual(result.span, { startLine: 10, endLine: 12 });
    assert.equal(model.calls.length, 1);
    const [final] = model.calls;
    assert.equal(final!.request.purpose, "final");
    assert.equal(final!.request.temperature, 0.3);
    assert.equal(result.exchange.title, "Summary of math.ts:10-12");
    assert.equal(result.exchange.display, "Summarize math.ts:10-12");

    const expected = await planPrompt({
      systemPrompt: FINAL.systemPrompt,
      history: [],
      question: {
        text: result.exchange.prompt,
        context: [
          {
            id: "x",
            kind: "selection",
            label: "math.ts:10-12",
            path: "src/lib/math.ts",
            languageId: "typescript",
            range: { startLine: 10, endLine: 12 },
            content: text,
            tokens: 0,
            approximate: true,
          },
        ],
      },
      contextSize: 1024,
      maxTokens: FINAL.maxTokens,
      count: async (t) => countBytes(t),
    });
    assert.deepEqual(final!.request.messages, expected.messages);
    assert.equal(final!.request.maxTokens, expected.maxTokens);
    assert.match(
      final!.request.messages[1]!.content,
      /^Selection from src\/lib\/math\.ts \(lines 10-12\):\n```typescript\nexport function add/,
    );
    assert.ok(final!.promptTokens + final!.request.maxTokens <= 1024);
  });

  it("a long input is summarised part by part, in order, every part exactly once, then combined in one exchange", async () => {
    const text = syntheticSource(3000);
    const model = new FakeModel((request, i) =>
      request.purpose === "map" ? `Summary ${i + 1}.` : "The whole file adds numbers.",
    );
    const progress: SummaryProgress[] = [];
    const result = await summarize(source(text, { wholeFile: true }), {
      contextSize: 1024,
      final: FINAL,
      count,
      generate: model.generate,
      onProgress: (p) => progress.push(p),
    });

    const plan = await planSummary(source(text, { wholeFile: true }), { contextSize: 1024, final: FINAL, count });
    const expectedParts = await chunkText(text, { maxTokens: plan.budgets.chunkTokens, count });
    assert.ok(expectedParts.length >= 5, `expected several parts, got ${expectedParts.length}`);
    assert.equal(result.mapCalls, expectedParts.length);
    assert.equal(result.parts, expectedParts.length);
    assert.equal(result.combineCalls, 0);
    assert.deepEqual(
      mappedCode(model),
      expectedParts.map((c) => c.text.replace(/\n$/, "")),
    );
    assert.equal(
      mappedCode(model)
        .map((code) => `${code}\n`)
        .join(""),
      text,
      "nothing dropped or repeated",
    );
    assert.deepEqual(
      progress,
      expectedParts.map((_, i) => ({ phase: "map", done: i + 1, total: expectedParts.length })),
    );

    for (const [i, call] of model.byPurpose("map").entries()) {
      assert.equal(call.request.messages[0]!.content, MAP_SYSTEM_PROMPT);
      assert.equal(call.request.temperature, 0, "map calls are greedy");
      assert.ok(
        call.request.messages[1]!.content.startsWith(
          `Part ${i + 1} of ${expectedParts.length} of src/lib/math.ts (lines ${expectedParts[i]!.startLine}-${expectedParts[i]!.endLine}):`,
        ),
      );
      // Real ChatML overhead on a byte-level model: the window must hold the prompt and the answer.
      assert.ok(
        call.promptTokens + call.request.maxTokens <= 1024,
        `map ${i + 1}: ${call.promptTokens} + ${call.request.maxTokens}`,
      );
    }

    const final = model.calls[model.calls.length - 1]!;
    assert.equal(final.request.purpose, "final");
    assert.equal(result.text, "The whole file adds numbers.");
    const user = final.request.messages[final.request.messages.length - 1]!.content;
    let at = 0;
    for (const [i, part] of expectedParts.entries()) {
      const block = `Summary of lines ${part.startLine}-${part.endLine}:\nSummary ${i + 1}.`;
      const found = user.indexOf(block, at);
      assert.ok(found >= at, `part ${i + 1} missing or out of order`);
      at = found + block.length;
    }
    assert.match(
      user,
      new RegExp(
        `the ${expectedParts.length} consecutive parts of src/lib/math\\.ts \\(lines 1-\\d+\\).*summary of the whole file`,
      ),
    );
    assert.ok(final.promptTokens + final.request.maxTokens <= 1024);
    assert.deepEqual(result.notes, []);
    assert.match(
      result.exchange.display,
      /^Summarize math\.ts \(whole file, lines 1-\d+: nothing was selected\) — read in \d+ parts$/,
    );
    assert.equal(result.exchange.context[0]!.label, `Part summaries of math.ts:1-${result.span.endLine}`);
  });

  it("the file's declared names are kept between parts: the final question names them though no part summary did", async () => {
    const text = syntheticSource(3000);
    const model = new FakeModel((request) => (request.purpose === "map" ? "Some arithmetic." : "Done."));
    const result = await summarize(source(text, { wholeFile: true }), {
      contextSize: 1024,
      final: FINAL,
      count,
      generate: model.generate,
    });
    assert.ok(result.mapCalls >= 2);
    const final = model.calls[model.calls.length - 1]!;
    const user = final.request.messages[final.request.messages.length - 1]!.content;
    assert.match(user, /It defines add1, add2, add3, add4, add5, add6, add7, add8: name the main ones\./);
    assert.match(user, /in plain sentences/);
    assert.ok(final.promptTokens + final.request.maxTokens <= 1024);
    for (const call of model.byPurpose("map"))
      assert.match(call.request.messages[1]!.content, /Plain sentences, no code\./);
  });

  it("a window too small for the names in the final question drops the names, not the summary", async () => {
    // A long path and 256 answer tokens in 1,024 (the engine tier's CLI case): the names would
    // not leave room for the combined summary, the question without them does.
    const text = syntheticSource(3000);
    const long = source(text, { path: `/tmp/${"d".repeat(100)}/math.ts`, wholeFile: true });
    const final = { ...FINAL, maxTokens: 256 };
    const plan = await planSummary(long, { contextSize: 1024, final, count });
    assert.equal(plan.mode, "mapReduce");
    assert.deepEqual(plan.names, []);
    // With room, the names are kept.
    assert.deepEqual((await planSummary(long, { contextSize: 2048, final, count })).names, declaredNames(text));
  });

  it("combines in rounds when the part summaries do not fit at once, keeping every call inside the window", async () => {
    const text = syntheticSource(8000);
    // Each summary uses its whole allowance, so a dozen of them overflow the final prompt.
    const model = new FakeModel((request, i) =>
      request.purpose === "final" ? "Done." : `${request.purpose} ${i}: ${"x".repeat(request.maxTokens - 20)}`,
    );
    const final = { ...FINAL, maxTokens: 100 };
    const result = await summarize(source(text), { contextSize: 768, final, count, generate: model.generate });
    assert.ok(result.mapCalls >= 12, `${result.mapCalls} map calls`);
    assert.ok(result.combineCalls >= 1, "expected combine calls");
    assert.equal(model.byPurpose("combine").length, result.combineCalls);
    for (const call of model.calls) {
      assert.ok(
        call.promptTokens + call.request.maxTokens <= 768,
        `${call.request.purpose}: ${call.promptTokens} + ${call.request.maxTokens}`,
      );
    }
    // Combined summaries keep covering consecutive line ranges from the first line to the last.
    const context = result.exchange.context[0]!.content;
    const ranges = [...context.matchAll(/^Summary of lines (\d+)-(\d+):$/gm)].map(
      (m) => [Number(m[1]), Number(m[2])] as const,
    );
    assert.ok(ranges.length >= 1 && ranges.length < result.mapCalls);
    assert.equal(ranges[0]![0], 1);
    assert.equal(ranges[ranges.length - 1]![1], result.span.endLine);
    for (let i = 1; i < ranges.length; i++) {
      assert.ok(
        ranges[i]![0] >= ranges[i - 1]![1] && ranges[i]![0] <= ranges[i - 1]![1] + 1,
        "ranges must be consecutive",
      );
    }
    // The final exchange is sent unshortened.
    const question = formatQuestion(
      result.exchange.prompt,
      result.exchange.context.map((c, i) => ({
        ...c,
        id: `c${i}`,
        path: c.path ?? null,
        languageId: c.languageId ?? null,
        range: c.range ?? null,
        tokens: 0,
        approximate: true,
      })),
    );
    assert.equal(model.calls[model.calls.length - 1]!.request.messages.at(-1)!.content, question);
    assert.deepEqual(result.notes, []);
  });

  it("reads at most maxParts parts and says exactly which lines were left out", async () => {
    const text = syntheticSource(6000);
    const model = new FakeModel();
    const result = await summarize(source(text, { startLine: 101 }), {
      contextSize: 1024,
      final: FINAL,
      count,
      generate: model.generate,
      maxParts: 2,
    });
    const plan = await planSummary(source(text, { startLine: 101 }), {
      contextSize: 1024,
      final: FINAL,
      count,
      maxParts: 2,
    });
    const all = await chunkText(text, { maxTokens: plan.budgets.chunkTokens, count });
    assert.ok(all.length > 2);
    assert.equal(result.mapCalls, 2);
    const firstLeftOut = all[2]!.startLine + 100;
    assert.deepEqual(result.omitted, [{ startLine: firstLeftOut, endLine: result.span.endLine }]);
    assert.equal(result.notes.length, 1);
    assert.match(
      result.notes[0]!,
      new RegExp(
        `^Lines ${firstLeftOut}-${result.span.endLine} were left out: the selection needs ${all.length} parts .* at most 2 are read\\.`,
      ),
    );
    assert.ok(
      result.exchange.display.includes(`\nNote: ${result.notes[0]}`),
      "the question shown says what was left out",
    );
    assert.ok(
      result.exchange.prompt.endsWith(
        `Important: lines ${firstLeftOut}-${result.span.endLine} of the selection could not be read (too long). Say so at the start of your answer.`,
      ),
      "the model is told to say it",
    );
  });

  it("when the window is tight, either refuses before any call or fits every call", async () => {
    const text = syntheticSource(20_000);
    const reply = (request: { purpose: string; maxTokens: number }, i: number) =>
      request.purpose === "final" ? "Done." : `${request.purpose} ${i}: ${"x".repeat(request.maxTokens - 20)}`;
    let refused = 0;
    let fitted = 0;
    for (let contextSize = 640; contextSize <= 1024; contextSize += 16) {
      const model = new FakeModel(reply);
      let result;
      try {
        result = await summarize(source(text), {
          contextSize,
          final: { ...FINAL, maxTokens: 100 },
          count,
          generate: model.generate,
          maxParts: 6,
        });
      } catch (error) {
        assert.ok(error instanceof SummaryError && /too small/.test(error.message), String(error));
        assert.equal(model.calls.length, 0, `context ${contextSize}: refused after ${model.calls.length} calls`);
        refused++;
        continue;
      }
      assert.equal(result.mapCalls, 6);
      assert.equal(result.text, "Done.");
      assert.match(result.notes[0]!, /^Lines \d+-\d+ were left out/);
      for (const call of model.calls) {
        assert.ok(
          call.promptTokens + call.request.maxTokens <= contextSize,
          `${contextSize}, ${call.request.purpose}: ${call.promptTokens} + ${call.request.maxTokens}`,
        );
      }
      fitted++;
    }
    assert.ok(refused > 0 && fitted > 0, `refused ${refused}, fitted ${fitted}`);
  });

  it("a combined summary that still does not fit is shortened to fit, and the question shown says so", async () => {
    const text = syntheticSource(6000);
    const model = new FakeModel((request, i) => `${request.purpose} ${i}: ${"x".repeat(request.maxTokens - 20)}`);
    const plan = await planSummary(source(text), { contextSize: 1024, final: FINAL, count });
    const context = summariesContext(source(text), plan.span, []);
    const finalQuestion = (prompt: string, content: string) =>
      countBytes(
        formatQuestion(prompt, [
          {
            ...context,
            id: "c",
            content,
            path: context.path ?? null,
            languageId: context.languageId ?? null,
            range: context.range ?? null,
            tokens: 0,
            approximate: true,
          },
        ]),
      ) + MESSAGE_OVERHEAD_TOKENS;
    const bare = finalQuestion(combinedPrompt(source(text), plan.span, plan.parts.length, declaredNames(text)), "");
    // Room for about 60 tokens of summary: less than one full part summary.
    const tight = { ...plan, budgets: { ...plan.budgets, finalQuestionTokens: bare + 60 } };
    const prepared = await runSummaryPlan(tight, { generate: model.generate, count });
    assert.deepEqual(prepared.notes, ["Some part summaries were shortened to fit the chat model's context window."]);
    assert.ok(prepared.exchange.display.endsWith(`\nNote: ${prepared.notes[0]}`));
    assert.match(prepared.exchange.context[0]!.content, /^Summary of lines 1-\d+:\n(map|combine) \d+: x+…$/);
    assert.ok(finalQuestion(prepared.exchange.prompt, prepared.exchange.context[0]!.content) <= bare + 60);
  });

  it("cancelling stops at once: the running call sees the abort and no further call starts", async () => {
    const text = syntheticSource(6000);
    const model = new FakeModel(undefined, 20);
    const abort = new AbortController();
    const run = summarize(source(text), {
      contextSize: 1024,
      final: FINAL,
      count,
      generate: model.generate,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.phase === "map" && p.done === 2) {
          setTimeout(() => abort.abort(), 5);
        }
      },
    });
    await assert.rejects(run, { name: "AbortError" });
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(model.calls.length, 3, "two finished calls and the one that was running");
    assert.equal(model.calls[2]!.sawAbort, true);
    assert.ok(model.calls.every((c) => c.request.purpose === "map"));
  });

  it("an already aborted signal makes no call at all, not even a token count", async () => {
    const model = new FakeModel();
    const abort = new AbortController();
    abort.abort();
    let counted = 0;
    await assert.rejects(
      summarize(source(syntheticSource(6000)), {
        contextSize: 1024,
        final: FINAL,
        count: (t) => (counted++, countBytes(t)),
        generate: model.generate,
        signal: abort.signal,
      }),
      { name: "AbortError" },
    );
    assert.equal(model.calls.length, 0);
    assert.equal(counted, 0);
  });

  it("a failing call fails the summary with its error", async () => {
    const model = new FakeModel((_r, i) => {
      if (i === 1) {
        throw new Error("worker crashed");
      }
      return "ok";
    });
    await assert.rejects(
      summarize(source(syntheticSource(6000)), { contextSize: 1024, final: FINAL, count, generate: model.generate }),
      /worker crashed/,
    );
    assert.equal(model.calls.length, 2);
  });

  it("refuses blank input and a window too small for parts, with a message for the user", async () => {
    const model = new FakeModel();
    await assert.rejects(
      summarize(source("  \n\n"), { contextSize: 1024, final: FINAL, count, generate: model.generate }),
      (e: Error) => e instanceof SummaryError && /selection is blank/.test(e.message),
    );
    await assert.rejects(
      summarize(source("", { wholeFile: true }), { contextSize: 1024, final: FINAL, count, generate: model.generate }),
      /the file is empty/,
    );
    await assert.rejects(
      summarize(source(syntheticSource(3000)), { contextSize: 192, final: FINAL, count, generate: model.generate }),
      (e: Error) => e instanceof SummaryError && /too small/.test(e.message),
    );
    // Parts would fit, but a 512-token answer leaves no room for the final prompt: refused before any map call.
    await assert.rejects(
      summarize(source(syntheticSource(3000)), {
        contextSize: 1024,
        final: { ...FINAL, systemPrompt: DEFAULT_CHAT_SYSTEM_PROMPT, maxTokens: 512 },
        count,
        generate: model.generate,
      }),
      /1,024-token context window is too small to summarize this in parts with 512 tokens kept for the answer/,
    );
    assert.equal(model.calls.length, 0);
  });

  it("runSummaryPlan alone builds the exchange for the chat without generating the final answer", async () => {
    const model = new FakeModel();
    const plan = await planSummary(source(syntheticSource(6000), { task: "explain" }), {
      contextSize: 1024,
      final: FINAL,
      count,
    });
    assert.equal(plan.mode, "mapReduce");
    const prepared = await runSummaryPlan(plan, { generate: model.generate, count });
    assert.equal(prepared.mapCalls, plan.parts.length);
    assert.equal(model.calls.length, prepared.mapCalls + prepared.combineCalls);
    assert.ok(
      model.byPurpose("map").every((c) => /Explain briefly what this part does/.test(c.request.messages[1]!.content)),
    );
    assert.ok(model.calls.every((c) => c.request.purpose !== "final"));
    assert.match(prepared.exchange.prompt, /explain what the whole selection does/);
    assert.equal(prepared.exchange.title, `Explanation of math.ts:1-${plan.span.endLine}`);

    const small = await planSummary(source("let x = 1;\n"), { contextSize: 1024, final: FINAL, count });
    assert.equal(small.mode, "single");
    const before = model.calls.length;
    const single = await runSummaryPlan(small, { generate: model.generate, count });
    assert.equal(model.calls.length, before, "no call for a single exchange");
    assert.equal(single.exchange.context[0]!.content, "let x = 1;\n");
  });
});
