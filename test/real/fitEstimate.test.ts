/**
 * The fit estimate (src/core/models/fitEstimate.ts, from the file's header) against what llama.cpp
 * really allocates for these files on the CPU, as the worker creates contexts (2 sequences, batch
 * 512): model, KV cache and compute buffers, measured in a fresh process by the fit-estimate
 * benchmark's child (test/bench/fitEstimate.bench.ts). Gemma 3's 262k vocabulary makes the logits
 * part of the compute buffer large, and its sliding-window layers keep a small KV cache.
 */
import * as assert from "node:assert/strict";
import { fork } from "node:child_process";
import * as path from "node:path";
import { readGgufSummary } from "../../src/client/ggufFile";
import { estimateFromGguf } from "../../src/core/models/fitEstimate";
import { realModelPath, type RealModelId } from "../fixtures/real/index";
import { THREADS } from "./realHarness";

const MiB = 1024 * 1024;
const benchChild = path.join(__dirname, "../bench/fitEstimate.bench.js");

interface Buffers {
  model: number;
  repack: number;
  kv: number;
  compute: number;
  output: number;
}

function measure(modelPath: string, contextSize: number, sequences: number): Promise<{ buffers: Buffers }> {
  return new Promise((resolve, reject) => {
    const proc = fork(
      benchChild,
      ["--fit-child", JSON.stringify({ modelPath, contextSize, sequences, threads: THREADS })],
      { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] },
    );
    let result: { buffers: Buffers } | null = null;
    proc.on("message", (m) => (result = m as { buffers: Buffers }));
    proc.on("error", reject);
    proc.on("exit", (code) => (result ? resolve(result) : reject(new Error(`measuring child exited with ${code}`))));
  });
}

describe("real: fit estimate vs llama.cpp's real allocation", () => {
  for (const [id, contextSize] of [
    ["gemma3-270m", 4096],
    ["smollm2-135m", 4096],
  ] as [RealModelId, number][])
    it(`${id}, context ${contextSize} x 2 sequences: the estimate is within 10 % of model + KV + compute buffers less the repack source`, async () => {
      const file = realModelPath(id);
      const summary = await readGgufSummary(file);
      // As model choice sizes a local file (ladderForGgufFile): the repacked bytes per tensor from
      // the header, named but counted once (the copy replaces its clean, droppable mmapped source).
      const weights = { fileSizeBytes: summary.sizeBytes, cpuRepackBytes: summary.cpuRepackBytes };
      const est = estimateFromGguf(summary.fields, weights, { contextSize, sequences: 2, batchSize: 512 }, "cpu");
      const { buffers } = await measure(file, contextSize, 2);
      // The CPU_REPACK buffer is as large as the mmapped pages it was copied from, which are clean
      // page cache never read again (docs/fit-estimate.md, "CPU memory truth"): one of the two stays.
      const real = buffers.model - buffers.repack + buffers.kv + buffers.compute + buffers.output;
      const ours = est.totalBytes - est.marginBytes;
      const error = (ours - real) / real;
      const detail = `ours ${(ours / MiB).toFixed(1)} MiB (weights ${(est.weightsBytes / MiB).toFixed(1)}, repack ${(summary.cpuRepackBytes / MiB).toFixed(1)}, KV ${(est.kvCacheBytes / MiB).toFixed(1)}, compute ${(est.computeBytes / MiB).toFixed(1)}) vs real ${(real / MiB).toFixed(1)} MiB (model ${(buffers.model / MiB).toFixed(1)} less repack ${(buffers.repack / MiB).toFixed(1)}, KV ${(buffers.kv / MiB).toFixed(1)}, compute+output ${((buffers.compute + buffers.output) / MiB).toFixed(1)}): ${(error * 100).toFixed(1)} %`;
      process.stdout.write(`      ${detail}\n`);
      assert.ok(Math.abs(error) <= 0.1, detail);
    });
});
