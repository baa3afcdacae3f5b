import * as assert from "node:assert/strict";
import { EngineError, type GenerateCallOptions } from "../../../src/core/engine/engine";
import type { GenerateRequestInput, GenerationResult, Slot } from "../../../src/core/protocol/workerProtocol";
import { CompletionCache } from "../../../src/core/completion/caching/completionCache";
import type { ContextChunk } from "../../../src/core/completion/context/extraContextRing";
import {
  cachedCompletion,
  completionPipeline,
  type GenerateFn,
  type PipelineInput,
} from "../../../src/core/completion/pipeline";
import { DEFAULT_COMPLETION_SETTINGS } from "../../../src/core/completion/settings";
import { renderSegments } from "../../../src/core/completion/templating/fimPrompt";
import type { DocumentSnapshot } from "../../../src/core/completion/types";

const QWEN = { fimPrefix: true, fimSuffix: true, fimMiddle: true, fileSeparator: true, repoName: true, eos: true };

interface Call {
  slot: Slot;
  body: GenerateRequestInput;
  options: GenerateCallOptions | undefined;
}

function result(text: string, over: Partial<GenerationResult> = {}): GenerationResult {
  return {
    text,
    stopReason: "eogToken",
    promptTokens: 10,
    reusedPromptTokens: 0,
    generatedTokens: 5,
    firstTokenMs: 1,
    ms: 2,
    ...over,
  };
}

/** Streams `chunks` one per microtask; rejects like the real client when its signal aborts. */
function fakeEngine(chunks: string[] | (() => never)) {
  const calls: Call[] = [];
  let delivered = 0;
  const generate: GenerateFn = async (slot, body, options) => {
    calls.push({ slot, body, options });
    if (typeof chunks === "function") return chunks();
    let text = "";
    for (const chunk of chunks) {
      await Promise.resolve();
      if (options?.signal?.aborted) throw new EngineError("cancelled", "The request was cancelled.");
      text += chunk;
      delivered++;
      options?.onChunk?.(chunk);
    }
    return result(text);
  };
  return { generate, calls, delivered: () => delivered };
}

function doc(text: string, over: Partial<DocumentSnapshot> = {}): DocumentSnapshot {
  const cursor = text.indexOf("|");
  return {
    uri: "file:///work/proj/src/math.ts",
    languageId: "typescript",
    eol: "\n",
    indent: { useTabs: false, size: 2 },
    text: text.slice(0, cursor) + text.slice(cursor + 1),
    cursor,
    ...over,
  } as DocumentSnapshot;
}

function input(over: Partial<PipelineInput> & Pick<PipelineInput, "document" | "generate">): PipelineInput {
  let t = 0;
  return { settings: DEFAULT_COMPLETION_SETTINGS, model: { specialTokens: QWEN }, now: () => (t += 1), ...over };
}

const BODY = "function add(a: number, b: number) {\n  |\n}\n";

describe("completion pipeline", () => {
  it("builds a psmTail FIM request, calls the engine once and post-processes the output", async () => {
    const engine = fakeEngine(["return a + b;", "\n}", "\n"]);
    const r = await completionPipeline(input({ document: doc(BODY), generate: engine.generate }));
    assert.deepEqual(r.ghost, { text: "return a + b;", replaceRight: 0 });
    assert.equal(r.reason, "ok");
    assert.equal(engine.calls.length, 1);
    const { slot, body, options } = engine.calls[0];
    assert.equal(slot, "completion");
    assert.equal(options?.supersede, true);
    assert.ok(body.kind === "segments");
    // Document line 1, anchor 16 (tailLines): lines 0..1 follow the middle token.
    assert.equal(
      renderSegments(body.segments),
      "<fileSeparator>src/math.ts\n<fimPrefix><fimSuffix>\n}\n<fimMiddle>function add(a: number, b: number) {\n  ",
    );
    assert.equal(body.temperature, 0);
    assert.equal(body.maxTokens, DEFAULT_COMPLETION_SETTINGS.maxTokens);
    assert.equal(body.timeBudgetMs, DEFAULT_COMPLETION_SETTINGS.timeBudgetMs);
    assert.ok(!body.stop?.includes("\n"), "multi-line request");
    assert.ok(r.timings.totalMs > 0 && r.timings.generateMs !== null && r.timings.firstChunkMs !== null);
  });

  it("asks for one line (stop at \\n) when code is right of the cursor, and keeps the space the seam needs", async () => {
    const engine = fakeEngine(["a, "]);
    const r = await completionPipeline(
      input({ document: doc("const s = sum(|b);\n"), generate: engine.generate, manual: true }),
    );
    assert.ok(engine.calls[0].body.stop?.includes("\n"));
    assert.deepEqual(r.ghost, { text: "a, ", replaceRight: 0 });
  });

  it("asks for several lines when only auto-closed brackets are right of the cursor ({|})", async () => {
    const engine = fakeEngine(["\n  let m = arr[0];\n  return m;\n"]);
    const r = await completionPipeline(
      input({ document: doc("function findMin(arr) {|}\n"), generate: engine.generate }),
    );
    assert.ok(!engine.calls[0].body.stop?.includes("\n"));
    assert.deepEqual(r.ghost, { text: "\n  let m = arr[0];\n  return m;\n", replaceRight: 0 });
  });

  it("uses the layout setting", async () => {
    const engine = fakeEngine(["x"]);
    await completionPipeline(
      input({
        document: doc("a\nb|"),
        generate: engine.generate,
        settings: { ...DEFAULT_COMPLETION_SETTINGS, layout: "psm" },
      }),
    );
    const body = engine.calls[0].body;
    assert.ok(body.kind === "segments");
    assert.equal(renderSegments(body.segments), "<fileSeparator>src/math.ts\n<fimPrefix>a\nb<fimSuffix><fimMiddle>");
  });

  it('sizes the window from the measured prompt speed with promptTokens "auto" (fixed 1024 before a measurement)', async () => {
    // 400 lines of ~12 tokens: every budget below cuts the prefix.
    const long = Array.from({ length: 400 }, (_, i) => `const value${i} = compute(${i}, "some text");\n`).join("");
    const promptLength = async (over: Partial<PipelineInput>) => {
      const engine = fakeEngine(["x"]);
      await completionPipeline(
        input({ document: doc(long + "|"), generate: engine.generate, cache: new CompletionCache(), ...over }),
      );
      const body = engine.calls[0].body;
      assert.ok(body.kind === "segments");
      return renderSegments(body.segments).length;
    };
    const settings = (promptTokens: number | "auto") => ({
      ...DEFAULT_COMPLETION_SETTINGS,
      promptTokens,
      extraContextTokens: 0,
    });
    const fixed1024 = await promptLength({ settings: settings(1024) });
    const fixed256 = await promptLength({ settings: settings(256) });
    const fixed1984 = await promptLength({ settings: settings(1984) });
    assert.ok(fixed256 < fixed1024 && fixed1024 < fixed1984);
    assert.equal(await promptLength({ settings: settings("auto") }), fixed1024, "not measured yet: 1024");
    // 128 tokens/s x 2 s = 256 tokens; 1000 tokens/s x 2 s = 2000, in steps of 64: 1984.
    assert.equal(await promptLength({ settings: settings("auto"), promptTokensPerSecond: 128 }), fixed256);
    assert.equal(await promptLength({ settings: settings("auto"), promptTokensPerSecond: 1000 }), fixed1984);
    // A fixed setting ignores the measurement.
    assert.equal(await promptLength({ settings: settings(1024), promptTokensPerSecond: 128 }), fixed1024);
  });

  it("uses the tailLines setting: 1 puts only the cursor line after the middle token", async () => {
    const engine = fakeEngine(["x"]);
    await completionPipeline(
      input({
        document: doc(BODY),
        generate: engine.generate,
        settings: { ...DEFAULT_COMPLETION_SETTINGS, tailLines: 1 },
      }),
    );
    const body = engine.calls[0].body;
    assert.ok(body.kind === "segments");
    assert.equal(
      renderSegments(body.segments),
      "<fileSeparator>src/math.ts\n<fimPrefix>function add(a: number, b: number) {\n<fimSuffix>\n}\n<fimMiddle>  ",
    );
  });

  it("skips without calling the engine when the cursor sits before text; a manual trigger runs", async () => {
    const engine = fakeEngine(["x"]);
    const skipped = await completionPipeline(input({ document: doc("foo(|bar)"), generate: engine.generate }));
    assert.equal(skipped.reason, "cursorBeforeText");
    assert.equal(skipped.ghost, null);
    assert.equal(engine.calls.length, 0);
    await completionPipeline(input({ document: doc("foo(|bar)"), generate: engine.generate, manual: true }));
    assert.equal(engine.calls.length, 1);
  });

  it("a model without FIM tokens gives a typed result, not a request", async () => {
    const engine = fakeEngine(["x"]);
    const r = await completionPipeline(
      input({ document: doc(BODY), generate: engine.generate, model: { specialTokens: { eos: true } } }),
    );
    assert.equal(r.reason, "fimUnsupported");
    assert.deepEqual(r.missingTokens, ["fimPrefix", "fimSuffix", "fimMiddle"]);
    assert.match(r.detail ?? "", /fill-in-the-middle/);
    assert.equal(engine.calls.length, 0);
  });

  it("serves a repeated request and typed-ahead characters from the cache without the engine", async () => {
    const cache = new CompletionCache();
    const engine = fakeEngine(["return a + b;\n}"]);
    await completionPipeline(input({ document: doc(BODY), generate: engine.generate, cache }));
    const again = await completionPipeline(input({ document: doc(BODY), generate: engine.generate, cache }));
    assert.deepEqual([again.reason, again.ghost?.text], ["cache", "return a + b;"]);
    const typed = await completionPipeline(
      input({ document: doc("function add(a: number, b: number) {\n  retu|\n}\n"), generate: engine.generate, cache }),
    );
    assert.deepEqual([typed.reason, typed.ghost?.text], ["typedAhead", "rn a + b;"]);
    assert.equal(engine.calls.length, 1);
  });

  it("cachedCompletion answers a cache hit at once (before any debounce) and returns null when the model is needed", async () => {
    const cache = new CompletionCache();
    const settings = DEFAULT_COMPLETION_SETTINGS;
    assert.equal(cachedCompletion({ document: doc(BODY), settings, cache }), null, "empty cache: the model is needed");
    const engine = fakeEngine(["return a + b;\n}"]);
    await completionPipeline(input({ document: doc(BODY), generate: engine.generate, cache }));
    const exact = cachedCompletion({ document: doc(BODY), settings, cache });
    assert.deepEqual([exact?.reason, exact?.ghost?.text], ["cache", "return a + b;"]);
    const typed = cachedCompletion({
      document: doc("function add(a: number, b: number) {\n  retu|\n}\n"),
      settings,
      cache,
    });
    assert.deepEqual([typed?.reason, typed?.ghost?.text], ["typedAhead", "rn a + b;"]);
    // Typing something else than the suggestion is a miss, and so is a prefiltered spot (no answer to serve).
    assert.equal(
      cachedCompletion({ document: doc("function add(a: number, b: number) {\n  x|\n}\n"), settings, cache }),
      null,
    );
    assert.equal(
      cachedCompletion({ document: doc("function add(a: number, b: number) {\n  |foo\n}\n"), settings, cache }),
      null,
    );
    assert.equal(engine.calls.length, 1);
  });

  it("caches a rejected output so the same spot is not asked again", async () => {
    const cache = new CompletionCache();
    const engine = fakeEngine(["   "]);
    const first = await completionPipeline(input({ document: doc(BODY), generate: engine.generate, cache }));
    assert.equal(first.reason, "rejected:empty");
    const second = await completionPipeline(input({ document: doc(BODY), generate: engine.generate, cache }));
    assert.deepEqual([second.reason, second.ghost], ["cachedRejection", null]);
    assert.equal(engine.calls.length, 1);
  });

  it("does not cache an empty result of a time-budget stop (a warm retry may succeed)", async () => {
    const cache = new CompletionCache();
    const cold: GenerateFn = async () => result("", { stopReason: "timeBudget" });
    const r = await completionPipeline(input({ document: doc(BODY), generate: cold, cache }));
    assert.equal(r.reason, "rejected:empty");
    assert.equal(cache.size, 0);
  });

  it("shows the first line early and stops generating once the block has ended", async () => {
    const engine = fakeEngine([
      "const s",
      " = a + b;\n",
      "  return s;\n",
      "}\n",
      "\nfunction more() {\n",
      "  x();\n",
      "}\n",
    ]);
    const early: string[] = [];
    const r = await completionPipeline(
      input({ document: doc(BODY), generate: engine.generate, onEarlyGhost: (g) => early.push(g.text) }),
    );
    assert.deepEqual(early, ["const s = a + b;"]);
    assert.deepEqual(r.ghost, { text: "const s = a + b;\n  return s;", replaceRight: 0 });
    assert.equal(r.stoppedEarly, true);
    assert.equal(engine.delivered(), 4, "no chunk after the one that closed the block");
    assert.ok(r.timings.earlyGhostMs !== null);
  });

  it("the caller's cancellation wins and nothing is cached", async () => {
    const cache = new CompletionCache();
    const controller = new AbortController();
    const engine = fakeEngine(["return", " a;", "\n"]);
    const pending = completionPipeline(
      input({ document: doc(BODY), generate: engine.generate, cache, signal: controller.signal }),
    );
    controller.abort();
    const r = await pending;
    assert.equal(r.reason, "cancelled");
    assert.equal(r.ghost, null);
    assert.equal(cache.size, 0);
    const already = await completionPipeline(
      input({ document: doc(BODY), generate: engine.generate, signal: AbortSignal.abort() }),
    );
    assert.equal(already.reason, "cancelled");
    assert.equal(engine.calls.length, 1);
  });

  it("a superseded engine call reads as cancelled; other failures as error with the message", async () => {
    const superseded = fakeEngine(() => {
      throw new EngineError("superseded", "A newer request replaced this one.");
    });
    assert.equal(
      (await completionPipeline(input({ document: doc(BODY), generate: superseded.generate }))).reason,
      "cancelled",
    );
    const crashed = fakeEngine(() => {
      throw new EngineError("workerCrashed", "worker died");
    });
    const r = await completionPipeline(input({ document: doc(BODY), generate: crashed.generate }));
    assert.deepEqual([r.reason, r.detail, r.ghost], ["error", "worker died", null]);
  });

  it("a CRLF document gets CRLF ghost text, from the engine and from the cache", async () => {
    const cache = new CompletionCache();
    const crlf = doc("function f() {\r\n  |\r\n}\r\n", { eol: "\r\n" });
    const engine = fakeEngine(["a();\n  b();\n}"]);
    const r = await completionPipeline(input({ document: crlf, generate: engine.generate, cache }));
    assert.equal(r.ghost?.text, "a();\r\n  b();");
    const body = engine.calls[0].body;
    assert.ok(body.kind === "segments" && !renderSegments(body.segments).includes("\r"), "the prompt is LF");
    const cached = await completionPipeline(input({ document: crlf, generate: engine.generate, cache }));
    assert.deepEqual([cached.reason, cached.ghost?.text], ["cache", "a();\r\n  b();"]);
  });

  it("puts extra-context chunks before the current file, and accepts prefix/suffix documents", async () => {
    const engine = fakeEngine(["x"]);
    const chunks: ContextChunk[] = [
      { uri: "file:///work/proj/src/util.ts", path: "src/util.ts", text: "export const two = 2;" },
    ];
    const document: DocumentSnapshot = {
      uri: "file:///a.ts",
      path: "src/a.ts",
      languageId: "typescript",
      eol: "\n",
      indent: { useTabs: false, size: 2 },
      prefix: "const y = ",
      suffix: "",
    };
    await completionPipeline(input({ document, generate: engine.generate, extraContext: chunks, repoName: "proj" }));
    const body = engine.calls[0].body;
    assert.ok(body.kind === "segments");
    assert.equal(
      renderSegments(body.segments),
      "<repoName>proj\n<fileSeparator>src/util.ts\nexport const two = 2;\n<fileSeparator>src/a.ts\n<fimPrefix><fimSuffix><fimMiddle>const y = ",
    );
  });

  it("after a time budget or token cap, drops the cut-off last line unless it is the only one", async () => {
    const cut: GenerateFn = async () => result("const s = a + b;\n  retu", { stopReason: "timeBudget" });
    const r = await completionPipeline(input({ document: doc(BODY), generate: cut }));
    assert.equal(r.ghost?.text, "const s = a + b;");
    assert.equal(r.generation?.stopReason, "timeBudget");
    const oneLine: GenerateFn = async () => result("const s = a +", { stopReason: "maxTokens" });
    assert.equal(
      (await completionPipeline(input({ document: doc(BODY), generate: oneLine }))).ghost?.text,
      "const s = a +",
    );
    const finished: GenerateFn = async () => result("const s = a + b;\n  return s;", { stopReason: "eogToken" });
    assert.equal(
      (await completionPipeline(input({ document: doc(BODY), generate: finished }))).ghost?.text,
      "const s = a + b;\n  return s;",
    );
  });
});
