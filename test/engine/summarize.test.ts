import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { WorkerClient } from "../../src/client/workerClient";
import { DEFAULT_CHAT_SYSTEM_PROMPT } from "../../src/core/chat/settings";
import { EngineError } from "../../src/core/engine/engine";
import { chunkText } from "../../src/core/summarize/chunker";
import { planSummary, summarize, type SummaryGenerateFn, type SummarySource } from "../../src/core/summarize/mapReduce";
import { ensureFixture, expectedChatReply } from "../fixtures/gguf/index";
import { countBytes, FakeModel, syntheticSource } from "../unit/summarize/helpers";
import { cliPath, makeClient } from "./workerHarness";

/** Small enough that a ~3 KB file needs several parts. */
const CONTEXT = 1024;
const FINAL = { systemPrompt: DEFAULT_CHAT_SYSTEM_PROMPT, maxTokens: 64, temperature: 0 };
const HI = expectedChatReply().text;

const source = (text: string, over: Partial<SummarySource> = {}): SummarySource => ({
  task: "summarize",
  text,
  path: "src/lib/math.ts",
  languageId: "typescript",
  startLine: 1,
  wholeFile: false,
  ...over,
});

describe("summarize through the worker (bigram-q8_0)", function () {
  this.timeout(120_000);
  let model: string;
  let client: WorkerClient;

  before(async () => {
    model = await ensureFixture("bigram-q8_0");
    client = makeClient();
    const info = await client.load("chat", { modelPath: model, contextSize: CONTEXT });
    assert.equal(info.contextSize, CONTEXT);
  });

  after(async () => {
    await client?.stop();
  });

  const count = (text: string, signal?: AbortSignal) => client.countTokens("chat", text, signal);
  const generate: SummaryGenerateFn = (request, options) =>
    client.generate(
      "chat",
      { kind: "chat", messages: request.messages, maxTokens: request.maxTokens, temperature: request.temperature },
      options,
    );

  it("the fixture counts one token per UTF-8 byte (the expected part counts below rely on it)", async () => {
    for (const text of ["export function f() {}\n", "héllo wörld ✓\n", syntheticSource(500)]) {
      assert.equal(await count(text), countBytes(text));
    }
  });

  it("a small selection: the answer is exactly the model's reply, streamed, with no map call", async () => {
    const chunks: string[] = [];
    const text = "export function add(a: number, b: number): number {\n  return a + b;\n}\n";
    const result = await summarize(source(text, { startLine: 40 }), {
      contextSize: CONTEXT,
      final: FINAL,
      count,
      generate,
      onChunk: (c) => chunks.push(c),
    });
    assert.equal(HI, "HI!");
    assert.equal(result.text, HI);
    assert.equal(chunks.join(""), HI);
    assert.equal(result.mapCalls, 0);
    assert.equal(result.parts, 1);
    assert.deepEqual(result.span, { startLine: 40, endLine: 42 });
    assert.deepEqual(result.notes, []);
    assert.equal(result.calls.length, 1);
    assert.equal(result.calls[0]!.stopReason, "eogToken");
    assert.equal(result.calls[0]!.generatedTokens, 3);
  });

  it("a ~3 KB file: as many map calls as the pure chunker predicts, every prompt inside the window, then the exact reply", async () => {
    const text = syntheticSource(3000);
    assert.ok(text.length >= 3000 && text.length < 3200);
    // Expected, without the engine: the same budgets and chunker, counting bytes like the fixture.
    const plan = await planSummary(source(text), { contextSize: CONTEXT, final: FINAL, count: countBytes });
    assert.equal(plan.mode, "mapReduce");
    const expectedParts = (await chunkText(text, { maxTokens: plan.budgets.chunkTokens, count: countBytes })).length;
    assert.ok(expectedParts >= 3, `a 3 KB file should need several parts, the chunker says ${expectedParts}`);
    // And the same run on a fake model that answers like the fixture ("HI!" to every chat).
    const fake = new FakeModel(() => HI);
    const simulated = await summarize(source(text), {
      contextSize: CONTEXT,
      final: FINAL,
      count: countBytes,
      generate: fake.generate,
    });

    const progress: number[] = [];
    const result = await summarize(source(text), {
      contextSize: CONTEXT,
      final: FINAL,
      count,
      generate,
      onProgress: (p) => p.phase === "map" && progress.push(p.done),
    });
    assert.equal(result.mapCalls, expectedParts);
    assert.equal(result.parts, expectedParts);
    assert.equal(result.combineCalls, simulated.combineCalls);
    assert.deepEqual(
      progress,
      Array.from({ length: expectedParts }, (_, i) => i + 1),
    );
    assert.equal(result.text, HI, "the final answer is the model's reply");
    assert.deepEqual(result.notes, []);
    for (const call of result.calls.filter((c) => c.purpose === "map")) {
      assert.equal(call.stopReason, "eogToken");
      assert.equal(call.generatedTokens, 3, "each part summary is the fixture's reply");
    }
    for (const call of result.calls) {
      assert.ok(
        call.promptTokens + call.maxTokens <= CONTEXT,
        `${call.purpose}: ${call.promptTokens} prompt + ${call.maxTokens} answer tokens > ${CONTEXT}`,
      );
    }
    // The final exchange carries each part's summary with its lines, in order.
    assert.deepEqual(result.exchange, simulated.exchange);
    const blocks = result.exchange.context[0]!.content.match(/^Summary of lines \d+-\d+:\nHI!$/gm) ?? [];
    assert.equal(blocks.length, expectedParts - result.combineCalls);
  });

  it("cancelling through the worker stops the map step, and the worker stays usable", async () => {
    const abort = new AbortController();
    let calls = 0;
    const counting: SummaryGenerateFn = (request, options) => {
      calls++;
      return generate(request, options);
    };
    await assert.rejects(
      summarize(source(syntheticSource(3000)), {
        contextSize: CONTEXT,
        final: FINAL,
        count,
        generate: counting,
        signal: abort.signal,
        onProgress: (p) => {
          if (p.phase === "map" && p.done === 1) {
            abort.abort();
          }
        },
      }),
      (e: unknown) =>
        (e instanceof Error && e.name === "AbortError") || (e instanceof EngineError && e.code === "cancelled"),
    );
    assert.equal(calls, 1, "no map call after the abort");
    const next = await client.generate("chat", {
      kind: "chat",
      messages: [{ role: "user", content: "still there?" }],
      maxTokens: 16,
    });
    assert.equal(next.text, HI);
  });

  // Enable once `summarize` is wired into src/cli/main.ts (OPTIONS: file, lines, max-parts, task).
  it("CLI: summarize --json prints the reply and the map calls, for a file and for --lines", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lc-summarize-"));
    const file = path.join(dir, "math.ts");
    const text = syntheticSource(3000);
    fs.writeFileSync(file, text);
    try {
      const plan = await planSummary(source(text, { path: file, wholeFile: true }), {
        contextSize: CONTEXT,
        final: { ...FINAL, maxTokens: 256 },
        count: countBytes,
      });
      const expectedParts = (await chunkText(text, { maxTokens: plan.budgets.chunkTokens, count: countBytes })).length;
      const run = (...args: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          execFile(
            process.execPath,
            [
              cliPath,
              "summarize",
              "--model",
              model,
              "--file",
              file,
              "--context",
              String(CONTEXT),
              "--threads",
              "1",
              "--gpu",
              "cpu",
              "--json",
              ...args,
            ],
            { timeout: 120_000 },
            (error, stdout, stderr) =>
              resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
          );
        });
      const whole = await run();
      assert.equal(whole.code, 0, whole.stderr);
      const out = JSON.parse(whole.stdout.trim()) as Record<string, unknown>;
      assert.equal(out.text, HI);
      assert.equal(out.mapCalls, expectedParts);
      assert.equal(out.parts, expectedParts);
      assert.equal(out.wholeFile, true);
      assert.equal(typeof out.ms, "number");

      const lines = await run("--lines", "2-4");
      assert.equal(lines.code, 0, lines.stderr);
      const small = JSON.parse(lines.stdout.trim()) as Record<string, unknown>;
      assert.equal(small.text, HI);
      assert.equal(small.mapCalls, 0);
      assert.equal(small.lines, "2-4");

      const bad = await run("--lines", "9-3");
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--lines must look like/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
