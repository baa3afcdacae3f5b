/**
 * Real weights, three ways, side by side in one run: prompt and generation tokens/s of the same real
 * file as a completion prompt through the worker process, through node-llama-cpp called directly in
 * this process, and through llama-server (the cached CPU build, scripts/tools/build-llama-server.sh),
 * on the same model file, threads and context, interleaved round by round (the order rotates).
 * Every round's prompt starts with a new header, so each prompt is evaluated in full (cold).
 *
 *   npm run bench -- realModel --rounds 3
 * LCA_BENCH_REAL_MODEL=gemma3-270m|smollm2-135m (default smollm2-135m), LCA_BENCH_THREADS (default 2).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { WorkerClient } from "../../src/client/workerClient";
import { realModelPath, type RealModelId } from "../fixtures/real/index";
import { LlamaServer } from "../remote/llamaServer";
import { formatTable, median } from "./stats";

const root = path.resolve(__dirname, "../../..");
const FILE = "src/core/summarize/chunker.ts";
const CONTEXT = 2048;
const PROMPT_CHARS = 2400;

type Path = "worker" | "direct" | "llamaServer";
const PATHS: Path[] = ["worker", "direct", "llamaServer"];
interface Sample {
  promptTokens: number;
  generated: number;
  promptPerSecond: number;
  generationPerSecond: number;
}

export async function run(options: { rounds: number; maxTokens: number }): Promise<Record<string, unknown>> {
  const id = (process.env.LCA_BENCH_REAL_MODEL ?? "smollm2-135m") as RealModelId;
  const threads = Number(process.env.LCA_BENCH_THREADS ?? 2);
  const maxTokens = Math.max(options.maxTokens, 32);
  const modelPath = realModelPath(id);
  const source = fs.readFileSync(path.join(root, FILE), "utf8").slice(0, PROMPT_CHARS);
  const prompt = (round: number, who: Path) => `// ${who} round ${round}\n${source}`;

  const worker = new WorkerClient({
    workerPath: path.join(root, "dist/worker.js"),
    gpu: "cpu",
    threads,
    logLevel: "error",
  });
  const lib = await import("node-llama-cpp");
  const llama = await lib.getLlama({
    gpu: false,
    maxThreads: threads,
    logLevel: lib.LlamaLogLevel.error,
    build: "never",
  });
  const server = await LlamaServer.start({
    model: modelPath,
    contextSize: CONTEXT,
    extraArgs: ["--threads", String(threads), "--threads-batch", String(threads), "--batch-size", "512"],
  });
  try {
    await worker.load("completion", { modelPath, contextSize: CONTEXT });
    const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    const context = await model.createContext({ contextSize: CONTEXT, sequences: 2, threads });
    const completion = new lib.LlamaCompletion({ contextSequence: context.getSequence() });

    // Prompt t/s = prompt tokens / time to the first token; generation t/s = the tokens after the first / the time after it.
    const timed = async (
      start: () => Promise<number>,
      onFirst: { at: number | null },
      promptTokens: () => number,
    ): Promise<Sample> => {
      const t0 = performance.now();
      const generated = await start();
      const end = performance.now();
      const first = onFirst.at ?? end;
      return {
        promptTokens: promptTokens(),
        generated,
        promptPerSecond: promptTokens() / ((first - t0) / 1000),
        generationPerSecond: (generated - 1) / ((end - first) / 1000),
      };
    };
    const runners: Record<Path, (text: string) => Promise<Sample>> = {
      worker: async (text) => {
        const first = { at: null as number | null };
        let promptTokens = 0;
        return timed(
          async () => {
            const r = await worker.generate(
              "completion",
              { kind: "complete", prompt: text, maxTokens, temperature: 0 },
              { onChunk: () => (first.at ??= performance.now()) },
            );
            promptTokens = r.promptTokens;
            return r.generatedTokens;
          },
          first,
          () => promptTokens,
        );
      },
      direct: async (text) => {
        const first = { at: null as number | null };
        const tokens = model.tokenize(text, false);
        let generated = 0;
        return timed(
          async () => {
            await completion.generateCompletionWithMeta(tokens, {
              maxTokens,
              temperature: 0,
              onToken: (t) => ((first.at ??= performance.now()), (generated += t.length)),
            });
            return generated;
          },
          first,
          () => tokens.length + (model.tokens.shouldPrependBosToken ? 1 : 0),
        );
      },
      // llama-server's own timings (prompt_per_second, predicted_per_second), without HTTP overhead.
      llamaServer: async (text) => {
        const res = await fetch(`${server.url}/completion`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            prompt: text,
            n_predict: maxTokens,
            temperature: 0,
            cache_prompt: false,
            ignore_eos: true,
          }),
        });
        const body = (await res.json()) as {
          timings: { prompt_n: number; predicted_n: number; prompt_per_second: number; predicted_per_second: number };
        };
        const t = body.timings;
        return {
          promptTokens: t.prompt_n,
          generated: t.predicted_n,
          promptPerSecond: t.prompt_per_second,
          generationPerSecond: t.predicted_per_second,
        };
      },
    };
    for (const p of PATHS) await runners[p]("warm up");
    const samples: Record<Path, Sample[]> = { worker: [], direct: [], llamaServer: [] };
    for (let round = 0; round < options.rounds; round++) {
      const order = PATHS.map((_, i) => PATHS[(i + round) % PATHS.length]!);
      for (const p of order) samples[p].push(await runners[p](prompt(round, p)));
    }
    await context.dispose();
    await model.dispose();

    const rows = PATHS.map((p) => {
      const s = samples[p];
      return [
        p,
        median(s.map((x) => x.promptTokens)),
        median(s.map((x) => x.promptPerSecond)).toFixed(0),
        median(s.map((x) => x.generated)),
        median(s.map((x) => x.generationPerSecond)).toFixed(1),
      ];
    });
    console.log(
      `\n${id}, ${FILE} (first ${PROMPT_CHARS} chars) as a completion prompt, ${threads} threads, ${options.rounds} rounds, ${maxTokens} tokens, load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}`,
    );
    console.log(formatTable(["path", "prompt tokens", "prompt t/s (p50)", "generated", "generation t/s (p50)"], rows));
    return {
      suite: "realModel",
      model: id,
      modelPath,
      file: FILE,
      threads,
      rounds: options.rounds,
      maxTokens,
      cpu: os.cpus()[0]?.model,
      cores: os.cpus().length,
      loadAverage: os.loadavg(),
      samples,
    };
  } finally {
    await server.kill();
    await worker.stop();
    await llama.dispose();
  }
}
