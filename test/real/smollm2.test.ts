/**
 * SmolLM2-135M-Instruct (Q4_1, ChatML template in the file) through the worker and the CLI, greedy.
 * A 135M model's wording varies with any change, so these assert properties: it stops by itself,
 * nothing of the template leaks, the fact/fence/name is there.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { WorkerClient } from "../../src/client/workerClient";
import { DEFAULT_CHAT_SYSTEM_PROMPT } from "../../src/core/chat/settings";
import { estimateTokens } from "../../src/core/util/tokenEstimate";
import { EngineError } from "../../src/core/engine/engine";
import type { ChatMessage } from "../../src/core/protocol/workerProtocol";
import {
  summarize,
  type SummaryGenerateFn,
  type SummaryProgress,
  type SummarySource,
} from "../../src/core/summarize/mapReduce";
import { realModelPath } from "../fixtures/real/index";
import { repoRoot } from "../engine/workerHarness";
import { assertNoLeak, cli, cliJson, realClient } from "./realHarness";

const SYSTEM: ChatMessage = { role: "system", content: DEFAULT_CHAT_SYSTEM_PROMPT };
const CONTEXT = 2048;
/** Larger than this context window, so the map-reduce path runs. */
const SMALL_CONTEXT = 1024;

/**
 * estimateTokens (chars / 3, the fallback before a model is loaded) against the real tokenizers:
 * measured x0.93..x1.24 on this repo's files (docs/real-models.md); it under-counts number-dense
 * markdown tables by up to 7 %, so the bound allows 10 % under and 30 % over.
 */
export const ESTIMATE_BOUNDS = { min: 0.9, max: 1.3 };
/**
 * Code, prose, and number-dense markdown tables (the worst case for the estimate): frozen copies
 * (test/fixtures/real/samples) of chunker.ts, docs/e2e.md and docs/model-selection.md, so the
 * bound is checked on the texts it was measured on, not on docs that keep changing.
 */
export const ESTIMATE_FILES = [
  ["code", "test/fixtures/real/samples/code.ts.txt"],
  ["prose", "test/fixtures/real/samples/prose.md"],
  ["tables", "test/fixtures/real/samples/tables.md"],
] as const;

function exportedNames(text: string): string[] {
  return [...text.matchAll(/^export (?:async )?(?:function|class|const) (\w+)/gm)].map((m) => m[1]!);
}

describe("real: SmolLM2-135M-Instruct Q4_1", function () {
  let model: string;
  let client: WorkerClient;

  before(async () => {
    model = realModelPath("smollm2-135m");
    client = realClient();
    const info = await client.load("chat", { modelPath: model, contextSize: CONTEXT });
    assert.equal(info.architecture, "llama");
    assert.equal(info.hasChatTemplate, true);
  });
  after(async () => {
    await client?.stop();
  });

  const chat = (messages: ChatMessage[], maxTokens = 96, options: Parameters<WorkerClient["generate"]>[2] = {}) =>
    client.generate("chat", { kind: "chat", messages, maxTokens, temperature: 0 }, options);

  describe("chat through the worker", () => {
    it("a short factual question: ends by itself (end of turn), contains the fact, leaks no template text", async () => {
      const r = await chat([SYSTEM, { role: "user", content: "What is the capital of France?" }]);
      assert.equal(r.stopReason, "eogToken", `it ran to ${r.stopReason}: ${JSON.stringify(r.text)}`);
      assert.match(r.text, /Paris/);
      assertNoLeak(r.text);
      assert.ok(r.generatedTokens < 60, `a one-line answer, not ${r.generatedTokens} tokens`);
    });

    it("the system prompt is honoured (ChatML has a system role: it replaces the template's default one)", async () => {
      const r = await chat(
        [
          { role: "system", content: "Your name is Zorblax." },
          { role: "user", content: "What is your name?" },
        ],
        24,
      );
      assert.match(r.text, /Zorblax/);
      assert.doesNotMatch(r.text, /SmolLM/, "the template's default system prompt must not be used when one is given");
      assertNoLeak(r.text);
    });

    it("a request for code returns a fenced code block", async () => {
      // Asked cold, the 135M model answers with bare code (no fence) despite the system prompt
      // asking for fences; after one fenced answer earlier in the chat it keeps the format.
      const r = await chat(
        [
          SYSTEM,
          { role: "user", content: "Show me a JavaScript function that returns the square of a number." },
          { role: "assistant", content: "```javascript\nfunction square(x) {\n  return x * x;\n}\n```" },
          { role: "user", content: "Now write a Python function that adds two numbers." },
        ],
        160,
      );
      // Not "ends by itself": after the block it may go on explaining (seen: to 160 tokens).
      assert.match(r.text, /```[a-z]*\n[\s\S]*\bdef \w+\([\s\S]*\n```/);
      assertNoLeak(r.text);
    });

    it("a multi-turn conversation keeps the earlier turn", async () => {
      const r = await chat(
        [
          SYSTEM,
          { role: "user", content: "My name is Alice." },
          { role: "assistant", content: "Nice to meet you, Alice!" },
          { role: "user", content: "What is my name?" },
        ],
        48,
      );
      assert.match(r.text, /Alice/);
      assertNoLeak(r.text);
      // The earlier turns are in the prompt the model saw (a lost turn would make it shorter).
      const alone = await chat([SYSTEM, { role: "user", content: "What is my name?" }], 1);
      assert.ok(
        r.promptTokens > alone.promptTokens + 10,
        `${r.promptTokens} prompt tokens with history vs ${alone.promptTokens} without`,
      );
    });

    it("streams in order and Stop ends it early in the worker, keeping what came", async () => {
      const abort = new AbortController();
      const chunks: string[] = [];
      const pending = chat([SYSTEM, { role: "user", content: "Write a long story about a dragon." }], 400, {
        signal: abort.signal,
        onChunk: (c) => {
          chunks.push(c);
          if (chunks.length === 3) abort.abort();
        },
      });
      // The client settles at once on Stop; what came stays with the caller (the chat view keeps it).
      await assert.rejects(pending, (e: unknown) => e instanceof EngineError && e.code === "cancelled");
      assert.equal(chunks.length, 3, "no chunk after Stop reached the caller");
      assert.ok(chunks.join("").trim().length > 0);
      // The worker must really stop: wait for it to go idle, then read what it generated.
      let status = await client.status();
      while (status.busy) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = await client.status();
      }
      const last = status.last;
      assert.ok(last?.tokensAfterAbort !== undefined, "the worker never saw the abort (it ran the story to its end)");
      assert.ok(
        last.generatedTokens < 100,
        `the worker generated ${last.generatedTokens} of 400 tokens after a Stop at 3`,
      );
    });
  });

  describe("completion", () => {
    it("plain completion of a code prefix gives code", async () => {
      const r = await client.generate("chat", {
        kind: "complete",
        prompt: "def fibonacci(n):\n",
        maxTokens: 40,
        temperature: 0,
      });
      assert.match(r.text, /\breturn\b|\bif\b.*:/, JSON.stringify(r.text));
      assert.match(r.text, /\n {4}\S/, "indented Python body");
    });

    it("inline completion (FIM) through the pipeline: the clear fimUnsupported error (SmolLM2 has no FIM tokens)", async () => {
      const info = client.modelInfo("chat")!;
      assert.deepEqual(
        [info.specialTokens.fimPrefix, info.specialTokens.fimSuffix, info.specialTokens.fimMiddle],
        [false, false, false],
      );
      const run = await cli(
        "infill",
        "--model",
        model,
        "--prefix",
        "def add(a, b):\n    return ",
        "--suffix",
        "\n",
        "--json",
      );
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /fill-in-the-middle|FIM/i);
      assert.equal(run.stdout.trim(), "");
    });
  });

  describe("token counts", () => {
    for (const [kind, file] of ESTIMATE_FILES)
      it(`the estimate vs the real tokenizer on ${kind} (${file}) is within ${ESTIMATE_BOUNDS.min}..${ESTIMATE_BOUNDS.max}x`, async () => {
        const text = fs.readFileSync(path.join(repoRoot, file), "utf8");
        const real = await client.countTokens("chat", text);
        const ratio = estimateTokens(text) / real;
        assert.ok(
          ratio >= ESTIMATE_BOUNDS.min && ratio <= ESTIMATE_BOUNDS.max,
          `estimate ${estimateTokens(text)} vs real ${real} (x${ratio.toFixed(3)})`,
        );
      });
  });

  describe("summarize", () => {
    const generate: SummaryGenerateFn = (request, options) =>
      client.generate(
        "chat",
        { kind: "chat", messages: request.messages, maxTokens: request.maxTokens, temperature: 0 },
        options,
      );
    const count = (text: string, signal?: AbortSignal) => client.countTokens("chat", text, signal);
    const source = (file: string): SummarySource => ({
      task: "summarize",
      text: fs.readFileSync(path.join(repoRoot, file), "utf8"),
      path: file,
      languageId: "typescript",
      startLine: 1,
      wholeFile: true,
    });

    it("a real source file: a summary shorter than the file, asked with the file's function names", async () => {
      // A small file with two functions: on tokenCounter.ts (a class and a function) the 135M
      // model described "a token counter" at length without naming either.
      const s = source("test/fixtures/real/samples/lineRange.ts.txt");
      const r = await summarize(s, {
        contextSize: CONTEXT,
        final: { systemPrompt: DEFAULT_CHAT_SYSTEM_PROMPT, maxTokens: 96, temperature: 0 },
        count,
        generate,
      });
      assert.equal(r.mapCalls, 0);
      assert.ok(r.text.length > 20 && r.text.length < s.text.length, `${r.text.length} chars`);
      // The question names the file's functions (declaredNames), in the phrase that asks for them:
      // with them in a sentence of their own the 135M model named none (docs/real-models.md).
      assert.ok(
        exportedNames(s.text).every((n) => r.exchange.prompt.includes(n)),
        `the question does not name ${exportedNames(s.text).join(", ")}: ${r.exchange.prompt}`,
      );
      assert.ok(
        exportedNames(s.text).some((n) => r.text.includes(n)),
        `the summary names none of ${exportedNames(s.text).join(", ")}: ${r.text}`,
      );
      assertNoLeak(r.text);
    });

    it("a file larger than the context: map-reduce, progress in order, every call inside the window, the names kept for the final question", async () => {
      const s = source("test/fixtures/real/samples/ggufFile.ts.txt");
      assert.ok((await count(s.text)) > SMALL_CONTEXT, "the file must not fit the window");
      const progress: SummaryProgress[] = [];
      const r = await summarize(s, {
        contextSize: SMALL_CONTEXT,
        final: { systemPrompt: DEFAULT_CHAT_SYSTEM_PROMPT, maxTokens: 64, temperature: 0 },
        count,
        generate,
        onProgress: (p) => progress.push(p),
      });
      assert.ok(r.mapCalls >= 2, `${r.mapCalls} map calls`);
      const maps = progress.filter((p) => p.phase === "map").map((p) => p.done);
      assert.deepEqual(
        maps,
        Array.from({ length: r.mapCalls }, (_, i) => i + 1),
      );
      for (const call of r.calls)
        assert.ok(call.promptTokens + call.maxTokens <= SMALL_CONTEXT, `${call.purpose} call overflows the window`);
      assert.ok(r.text.length > 20 && r.text.length < s.text.length);
      // The file's declared names are kept between parts: the final question names them whatever the
      // part summaries kept. Not asserted: that the 135M model's answer repeats one (1 run of 3 did;
      // docs/real-models.md, "summaries").
      assert.ok(
        exportedNames(s.text).every((n) => r.exchange.prompt.includes(n)),
        `the final question does not name ${exportedNames(s.text).join(", ")}: ${r.exchange.prompt}`,
      );
      assert.ok(
        r.calls.filter((c) => c.purpose === "map").every((c) => (c.generatedTokens ?? 0) > 0),
        "every part got a summary",
      );
      assertNoLeak(r.text);
    });

    it("cancel stops it after the first part, and the worker stays usable", async () => {
      const abort = new AbortController();
      let calls = 0;
      await assert.rejects(
        summarize(source("test/fixtures/real/samples/ggufFile.ts.txt"), {
          contextSize: SMALL_CONTEXT,
          final: { systemPrompt: DEFAULT_CHAT_SYSTEM_PROMPT, maxTokens: 64, temperature: 0 },
          count,
          generate: (request, options) => (calls++, generate(request, options)),
          signal: abort.signal,
          onProgress: (p) => p.phase === "map" && p.done === 1 && abort.abort(),
        }),
        (e: unknown) =>
          (e instanceof Error && e.name === "AbortError") || (e instanceof EngineError && e.code === "cancelled"),
      );
      assert.equal(calls, 1);
      const next = await chat([{ role: "user", content: "Hi" }], 4);
      assert.ok(next.generatedTokens > 0);
    });
  });

  describe("the CLI", () => {
    it("chat --json: the fact, end of turn, no template text", async () => {
      const out = cliJson(
        await cli(
          "chat",
          "--model",
          model,
          "--message",
          "What is the capital of France?",
          "--max-tokens",
          "64",
          "--json",
        ),
      );
      assert.equal(out.stopReason, "eogToken");
      assert.match(String(out.text), /Paris/);
      assertNoLeak(String(out.text));
    });
  });
});
