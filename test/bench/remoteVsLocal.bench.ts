/**
 * The remote backend against the local one on the same editing trace (editingTrace.ts): the same
 * model file (shape-true Qwen2.5-Coder-0.5B Q8_0) served by llama-server on 127.0.0.1 and loaded by
 * the local worker, the same thread count for both (LCA_BENCH_THREADS, default 2), the same
 * prompts (promptWindow + buildFimPrompt + buildGenerateBody, as the editor builds them) with a
 * fixed token count, interleaved per round (the backend that goes first alternates):
 *   cold       a fresh prompt (a new file path: nothing but a few header tokens in the KV cache)
 *   typedChar  one character typed after a completed suggestion
 *   newLine    a new line typed
 * Latency p50/p95 to the final result and to the first streamed token, per backend and step.
 *
 *   npm run bench -- remoteVsLocal --rounds 5
 * LCA_BENCH_REMOTE_MODEL=bigram-q8_0 swaps in the tiny deterministic fixture (a quick check that the
 * suite runs, not figures). Needs the llama-server binary (scripts/tools/build-llama-server.sh).
 */
import * as os from "node:os";
import * as path from "node:path";
import { RemoteEngine } from "../../src/client/remote/remoteEngine";
import { WorkerClient } from "../../src/client/workerClient";
import {
  buildFimPrompt,
  buildGenerateBody,
  calibratedEstimator,
  completionMode,
  CompletionSettingsSchema,
  promptWindow,
  type TokenCounter,
} from "../../src/core/completion";
import { syntaxFor } from "../../src/core/completion/postprocessing/syntax";
import type { Engine } from "../../src/core/engine/engine";
import type { GenerateRequestInput, ModelInfo } from "../../src/core/protocol/workerProtocol";
import { ensureFixture, type FixtureName } from "../fixtures/gguf/index";
import { LlamaServer } from "../remote/llamaServer";
import { editingTrace, TRACE_STEPS, type TraceStep, type TraceStepName } from "./editingTrace";
import { formatTable, median, percentile } from "./stats";

const root = path.resolve(__dirname, "../../..");
const REPO_NAME = "local-code-assistant";
const CONTEXT_SIZE = 4096;
/** The same window budget as inlineCompletion.bench.ts (~1410 prefix + ~340 suffix tokens). */
const PROMPT_TOKENS = 2100;
const GAP_MS = 150;

type Backend = "local" | "remote";
const BACKENDS: readonly Backend[] = ["local", "remote"];

interface Sample {
  ms: number;
  firstMs: number | null;
  generated: number;
  promptTokens: number;
  evaluated: number | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function run(options: { rounds: number; maxTokens: number }): Promise<Record<string, unknown>> {
  const threads = Number(process.env.LCA_BENCH_THREADS ?? 2);
  const fixture = (process.env.LCA_BENCH_REMOTE_MODEL ?? "qwen2.5-coder-0.5b-shape-q8_0") as FixtureName;
  const modelPath = await ensureFixture(fixture);
  const trace = editingTrace(root);

  const server = await LlamaServer.start({
    model: modelPath,
    contextSize: CONTEXT_SIZE,
    extraArgs: ["--threads", String(threads), "--threads-batch", String(threads)],
  });
  const worker = new WorkerClient({
    workerPath: path.join(root, "dist/worker.js"),
    gpu: "cpu",
    threads,
    logLevel: "error",
  });
  const remote = new RemoteEngine({ url: server.url, healthRetryMs: 0 });
  try {
    const engines: Record<Backend, Engine> = { local: worker, remote };
    const infos: Record<Backend, ModelInfo> = {
      local: await worker.load("completion", { modelPath, contextSize: CONTEXT_SIZE }),
      remote: await remote.load("completion", { modelPath: "" }),
    };
    const specialTokens = infos.local.specialTokens;
    const fileTokens = await worker.countTokens("completion", trace.text);
    const countTokens: TokenCounter = calibratedEstimator(trace.text.length, fileTokens);
    const settings = CompletionSettingsSchema.parse({
      layout: "psmTail",
      maxTokens: options.maxTokens,
      promptTokens: PROMPT_TOKENS,
      extraContextTokens: 0,
      timeBudgetMs: 60_000,
      speculative: false,
    });

    let pathCounter = 0;
    // Same digit count, so every path tokenizes to the same length.
    const freshPath = () => `src/evaluator${String(pathCounter++).padStart(3, "0")}/LlamaCompletion.js`;
    const bodyFor = (step: TraceStep, filePath: string): GenerateRequestInput => {
      const window = promptWindow(step.prefix, step.suffix, { budgetTokens: PROMPT_TOKENS, countTokens });
      const prompt = buildFimPrompt({
        layout: "psmTail",
        prefix: window.prefix,
        suffix: window.suffix,
        specialTokens,
        filePath,
        repoName: REPO_NAME,
        extraChunks: [],
      });
      if (!prompt.ok) throw new Error(prompt.message);
      const body = buildGenerateBody(
        prompt.segments,
        completionMode(step.prefix, step.suffix, syntaxFor(trace.languageId)),
        settings,
      );
      // A fixed token count on both backends: stop strings and the time budget would end noise output anywhere.
      return { ...body, maxTokens: options.maxTokens, stop: [], timeBudgetMs: undefined } as GenerateRequestInput;
    };

    const samples: Record<Backend, Record<TraceStepName, Sample[]>> = {
      local: { cold: [], typedChar: [], newLine: [] },
      remote: { cold: [], typedChar: [], newLine: [] },
    };
    const pass = async (backend: Backend) => {
      const filePath = freshPath();
      for (const name of TRACE_STEPS) {
        let first: number | null = null;
        const t0 = performance.now();
        const g = await engines[backend].generate("completion", bodyFor(trace.steps[name], filePath), {
          supersede: true,
          onChunk: () => (first ??= performance.now()),
        });
        samples[backend][name].push({
          ms: performance.now() - t0,
          firstMs: first === null ? null : first - t0,
          generated: g.generatedTokens,
          promptTokens: g.promptTokens,
          evaluated: g.promptTokens - g.reusedPromptTokens,
        });
        await sleep(GAP_MS);
      }
    };
    for (let round = 0; round < options.rounds; round++)
      for (const backend of round % 2 === 0 ? BACKENDS : [...BACKENDS].reverse()) await pass(backend);

    const summary = (list: Sample[]) => {
      const ms = list.map((s) => s.ms);
      const first = list.map((s) => s.firstMs).filter((v): v is number => v !== null);
      return {
        p50: median(ms),
        p95: percentile(ms, 95),
        firstP50: first.length ? median(first) : null,
        firstP95: first.length ? percentile(first, 95) : null,
        generated: median(list.map((s) => s.generated)),
        promptTokens: median(list.map((s) => s.promptTokens)),
        evaluated: list[0]?.evaluated ?? null,
      };
    };
    const table: Record<string, Record<string, ReturnType<typeof summary>>> = {};
    const rows: (string | number)[][] = [];
    for (const name of TRACE_STEPS) {
      table[name] = {};
      for (const backend of BACKENDS) {
        const s = summary(samples[backend][name]);
        table[name][backend] = s;
        const ms = (v: number | null) => (v === null ? "-" : v.toFixed(0));
        rows.push([
          name,
          backend,
          ms(s.p50),
          ms(s.p95),
          ms(s.firstP50),
          ms(s.firstP95),
          s.generated,
          s.promptTokens,
          s.evaluated ?? "-",
        ]);
      }
    }
    console.log(
      `\nremote (llama-server, ${threads} threads) vs local worker (${threads} threads), ${fixture}, ${options.rounds} rounds, ${options.maxTokens} tokens`,
    );
    console.log(
      formatTable(
        ["step", "backend", "p50 ms", "p95 ms", "first p50", "first p95", "tokens", "prompt", "evaluated"],
        rows,
      ),
    );
    return {
      suite: "remoteVsLocal",
      fixture,
      threads,
      rounds: options.rounds,
      maxTokens: options.maxTokens,
      cpu: os.cpus()[0]?.model,
      cores: os.cpus().length,
      loadAverage: os.loadavg(),
      remote: {
        server: "llama-server",
        route: remote.completionSetup()?.route ?? null,
        fimFamily: remote.completionSetup()?.family ?? null,
      },
      trace: { source: trace.source, lines: trace.lines, cursorLine: trace.cursorLine },
      steps: table,
      samples,
    };
  } finally {
    await remote.stop();
    await worker.stop();
    await server.stop();
  }
}
