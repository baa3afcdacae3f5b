/**
 * Prompt tokens evaluated per editing step (a count: independent of machine load), through the
 * real worker and node-llama-cpp's KV cache, on the benchmark's editing trace (editingTrace.ts):
 * the completion pipeline's own prompt, 1 generated token per request.
 *
 * Steps: cold (a fresh file path), one character typed, then NEW_LINES times: Enter (with the
 * editor's indentation) and the next line typed out; then a new place (another fresh path) with
 * and without a warm-up before its first keystroke. Per layout variant: psmTail with tailLines 1
 * (the cursor line only after MID: the layout before #14) and tailLines 16 (the default now).
 *
 * Environment: LCA_BENCH_MODELS=0.5b (default) or 1.5b; LCA_BENCH_TAIL_LINES=1,16;
 * LCA_BENCH_PROMPT_TOKENS (default 1024, the setting's default).
 */
import * as path from "node:path";
import { ensureFixture, type FixtureName } from "../fixtures/gguf/index";
import { WorkerClient } from "../../src/client/workerClient";
import {
  CompletionSettingsSchema,
  calibratedEstimator,
  completionPipeline,
  type DocumentSnapshot,
  type TokenCounter,
} from "../../src/core/completion";
import type { GenerationResult } from "../../src/core/protocol/workerProtocol";
import { editingTrace } from "./editingTrace";
import { median } from "./stats";

const root = path.resolve(__dirname, "../../..");
const NEW_LINES = Number(process.env.LCA_BENCH_NEW_LINES ?? 6);

export async function run(options: { threads: number }): Promise<Record<string, unknown>> {
  const size = (process.env.LCA_BENCH_MODELS ?? "0.5b").split(",")[0].trim().toLowerCase();
  const fixture: FixtureName = size === "1.5b" ? "qwen2.5-coder-1.5b-shape-q8_0" : "qwen2.5-coder-0.5b-shape-q8_0";
  const variants = (process.env.LCA_BENCH_TAIL_LINES ?? "1,16").split(",").map((v) => Number(v.trim()));
  const promptTokens = Number(process.env.LCA_BENCH_PROMPT_TOKENS ?? 1024);
  const trace = editingTrace(root);
  const worker = new WorkerClient({
    workerPath: path.join(root, "dist/worker.js"),
    gpu: "cpu",
    threads: options.threads,
    logLevel: "error",
  });
  try {
    const info = await worker.load("completion", { modelPath: await ensureFixture(fixture), contextSize: 4096 });
    const countTokens: TokenCounter = calibratedEstimator(
      trace.text.length,
      await worker.countTokens("completion", trace.text),
    );
    const lines = trace.text.split("\n");
    const indent = /^\s*/.exec(lines[trace.cursorLine - 1])![0];
    // The lines typed after Enter: the function's own next lines, re-indented (their content does not matter for the counts).
    const typed = lines.slice(trace.cursorLine, trace.cursorLine + NEW_LINES).map((l) => indent + l.trim());
    const results: Record<string, unknown>[] = [];
    let pathId = 0;
    for (const tailLines of variants) {
      const settings = CompletionSettingsSchema.parse({
        layout: "psmTail",
        tailLines,
        promptTokens,
        extraContextTokens: 0,
        maxTokens: 1,
        timeBudgetMs: 60_000,
        speculative: false,
      });
      const request = async (
        filePath: string,
        prefix: string,
        suffix: string,
        warmUp = false,
      ): Promise<GenerationResult> => {
        const document: DocumentSnapshot = {
          uri: `file:///work/${filePath}`,
          path: filePath,
          languageId: "javascript",
          eol: "\n",
          indent: { useTabs: false, size: 4 },
          prefix,
          suffix,
        };
        const r = await completionPipeline({
          document,
          settings,
          model: { specialTokens: info.specialTokens },
          generate: (slot, body, o) => worker.generate(slot, body, o),
          countTokens,
          repoName: "local-code-assistant",
          warmUp,
        });
        if (!r.generation) throw new Error(`no model call: ${r.reason} ${r.detail ?? ""}`);
        return r.generation;
      };
      const evaluated = (g: GenerationResult) => g.promptTokens - g.reusedPromptTokens;
      const file = `src/evaluator${String(pathId++).padStart(3, "0")}/LlamaCompletion.js`;
      const { cold, typedChar } = trace.steps;
      const coldG = await request(file, cold.prefix, cold.suffix);
      const charG = await request(file, typedChar.prefix, typedChar.suffix);
      const enter: number[] = [];
      const lineTyped: number[] = [];
      let prefix = typedChar.prefix;
      for (const line of typed) {
        prefix += "\n" + indent;
        enter.push(evaluated(await request(file, prefix, typedChar.suffix)));
        prefix += line.slice(indent.length);
        lineTyped.push(evaluated(await request(file, prefix, typedChar.suffix)));
      }
      // A new place: the same position in another file path (nothing of it cached), first keystroke with / without a warm-up.
      const placeA = `src/evaluator${String(pathId++).padStart(3, "0")}/LlamaCompletion.js`;
      const noWarm = await request(placeA, typedChar.prefix, typedChar.suffix);
      const placeB = `src/evaluator${String(pathId++).padStart(3, "0")}/LlamaCompletion.js`;
      const warm = await request(placeB, cold.prefix, cold.suffix, true);
      const afterWarm = await request(placeB, typedChar.prefix, typedChar.suffix);
      const row = {
        tailLines,
        promptTokens: coldG.promptTokens,
        cold: evaluated(coldG),
        typedChar: evaluated(charG),
        newLine: {
          each: enter,
          median: median(enter),
          mean: enter.reduce((a, b) => a + b, 0) / enter.length,
          max: Math.max(...enter),
        },
        lineTyped: { each: lineTyped, median: median(lineTyped) },
        newPlaceNoWarmUp: evaluated(noWarm),
        warmUpEvaluated: evaluated(warm),
        newPlaceAfterWarmUp: evaluated(afterWarm),
      };
      process.stderr.write(`[promptReuse] ${JSON.stringify(row)}\n`);
      results.push(row);
    }
    return {
      suite: "promptReuse",
      model: fixture,
      threads: options.threads,
      promptTokensSetting: promptTokens,
      newLines: NEW_LINES,
      trace: { source: trace.source, cursorLine: trace.cursorLine },
      variants: results,
    };
  } finally {
    await worker.stop();
  }
}
