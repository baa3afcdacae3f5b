/**
 * Foundation benchmark: the same requests through the worker process and through node-llama-cpp
 * called directly in this process, interleaved round by round on the shape-true Qwen2.5-Coder-0.5B
 * model. Reports time to first token (cold, shared prefix, identical prompt) and generation speed.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureFixture } from "../fixtures/gguf/index";
import { WorkerClient } from "../../src/client/workerClient";
import { physicalCoresFromCpuinfo } from "../../src/core/hardware/cpuCores";
import { formatTable, median } from "./stats";

type Scenario = "cold" | "sharedPrefix" | "identical";
const SCENARIOS: Scenario[] = ["cold", "sharedPrefix", "identical"];
interface Sample {
  ttftMs: number;
  tokensPerSecond: number;
  generated: number;
}

const root = path.resolve(__dirname, "../../..");

/** ~600 tokens of real source, and a variant whose last part differs (an edit near the end). */
function prompts(round: number): Record<Scenario, string> {
  const source = fs.readFileSync(path.join(root, "src/client/workerClient.ts"), "utf8");
  // A per-round header makes every round's cold prompt new to the KV cache.
  const base = `// round ${round}\n${source.slice(0, 2400)}`;
  const edited = `${base.slice(0, base.length - 200)}${base.slice(base.length - 200).replace(/e/g, "E")}`;
  return { cold: base, sharedPrefix: edited, identical: edited };
}

export async function run(options: {
  rounds: number;
  maxTokens: number;
  threads: number;
}): Promise<Record<string, unknown>> {
  const modelPath = await ensureFixture("qwen2.5-coder-0.5b-shape-q8_0");
  const { rounds, maxTokens, threads } = options;

  const worker = new WorkerClient({
    workerPath: path.join(root, "dist/worker.js"),
    gpu: "cpu",
    threads,
    logLevel: "error",
  });
  await worker.load("completion", { modelPath, contextSize: 2048 });

  const lib = await import("node-llama-cpp");
  const llama = await lib.getLlama({ gpu: false, maxThreads: threads, logLevel: lib.LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize: 2048, sequences: 2, threads });
  const sequence = context.getSequence();
  const completion = new lib.LlamaCompletion({ contextSequence: sequence });

  const viaWorker = async (prompt: string): Promise<Sample> => {
    const started = performance.now();
    let first: number | null = null;
    const result = await worker.generate(
      "completion",
      { kind: "complete", prompt, maxTokens },
      { onChunk: () => (first ??= performance.now()) },
    );
    const ttft = (first ?? performance.now()) - started;
    const genSeconds = (performance.now() - (first ?? started)) / 1000;
    return {
      ttftMs: ttft,
      tokensPerSecond: (result.generatedTokens - 1) / genSeconds,
      generated: result.generatedTokens,
    };
  };
  const direct = async (prompt: string): Promise<Sample> => {
    const started = performance.now();
    let first: number | null = null;
    let generated = 0;
    await completion.generateCompletionWithMeta(prompt, {
      maxTokens,
      temperature: 0,
      onToken: (tokens) => {
        first ??= performance.now();
        generated += tokens.length;
      },
    });
    const ttft = (first ?? performance.now()) - started;
    const genSeconds = (performance.now() - (first ?? started)) / 1000;
    return { ttftMs: ttft, tokensPerSecond: (generated - 1) / genSeconds, generated };
  };

  const samples: Record<"worker" | "direct", Record<Scenario, Sample[]>> = {
    worker: { cold: [], sharedPrefix: [], identical: [] },
    direct: { cold: [], sharedPrefix: [], identical: [] },
  };
  // Warm-up: first evaluations allocate buffers in both paths.
  await viaWorker("warm up");
  await direct("warm up");
  for (let round = 0; round < rounds; round++) {
    const p = prompts(round);
    // Alternate which path goes first, so drift in machine load hits both equally.
    const order: ("worker" | "direct")[] = round % 2 === 0 ? ["worker", "direct"] : ["direct", "worker"];
    for (const who of order)
      for (const scenario of SCENARIOS)
        samples[who][scenario].push(await (who === "worker" ? viaWorker : direct)(p[scenario]));
  }

  const rows = SCENARIOS.map((scenario) => {
    const w = median(samples.worker[scenario].map((s) => s.ttftMs));
    const d = median(samples.direct[scenario].map((s) => s.ttftMs));
    return [`TTFT ${scenario} (ms)`, w, d, w / d];
  });
  const wTps = median(SCENARIOS.flatMap((s) => samples.worker[s].map((x) => x.tokensPerSecond)));
  const dTps = median(SCENARIOS.flatMap((s) => samples.direct[s].map((x) => x.tokensPerSecond)));
  rows.push(["generation (tokens/s)", wTps, dTps, wTps / dTps]);
  console.log(
    `\nworker vs direct node-llama-cpp: shape-true Qwen2.5-Coder-0.5B Q8_0, ${threads} threads, ${rounds} rounds, ${maxTokens} tokens, medians`,
  );
  console.log(formatTable(["metric", "worker", "direct", "worker/direct"], rows));

  await worker.stop();
  completion.dispose();
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return {
    model: "qwen2.5-coder-0.5b-shape-q8_0",
    threads,
    rounds,
    maxTokens,
    cpu: os.cpus()[0]?.model,
    rows: rows.map(([metric, worker, direct, ratio]) => ({ metric, worker, direct, ratio })),
    samples,
  };
}

export function defaultThreads(): number {
  try {
    return physicalCoresFromCpuinfo(fs.readFileSync("/proc/cpuinfo", "utf8")) ?? os.availableParallelism();
  } catch {
    return os.availableParallelism();
  }
}
