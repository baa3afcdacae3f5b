import * as assert from "node:assert/strict";
import { findModel } from "../../../src/core/models/catalog";
import {
  archFromCatalog,
  archFromGgufFields,
  computeBufferBytes,
  estimateFromGguf,
  estimateMemory,
  ggufArchFieldsFromMetadata,
  kvCacheBytes,
  marginFor,
  maxGpuLayers,
  SAFETY_MARGIN,
  splitEstimate,
  type GgufArchFields,
  type WeightsInput,
} from "../../../src/core/models/fitEstimate";
import { cpuRepackBytes, cpuRepacksType } from "../../../src/core/models/quantTypes";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const arch = (id: string) => archFromCatalog(findModel(id)!.arch);
const plain = (fileSizeBytes: number): WeightsInput => ({ fileSizeBytes, cpuRepackBytes: 0 });

describe("fit estimate", () => {
  it("sizes the KV cache from layers x KV heads x head dim (f16), matching the research's per-token figures", () => {
    // Per-token bytes published in shared/catalog (derived there independently).
    const perToken: Array<[string, number]> = [
      ["qwen2.5-coder-0.5b", 12288],
      ["qwen2.5-coder-1.5b", 28672],
      ["qwen2.5-coder-3b", 36864],
      ["qwen2.5-coder-7b", 57344],
      ["llama-3.1-8b-instruct", 131072],
      ["codegemma-2b", 18432],
    ];
    for (const [id, bytes] of perToken) assert.equal(kvCacheBytes(arch(id), { contextSize: 4096 }), bytes * 4096, id);
  });

  it("caps sliding-window layers at window + batch cells (iSWA) and pads the context to 256", () => {
    const g2 = arch("gemma-2-2b-it");
    // At 4096 tokens every layer holds the full context: 106496 B/token.
    assert.equal(kvCacheBytes(g2, { contextSize: 4096 }), 106496 * 4096);
    // At 8192 the 13 sliding layers keep pad256(4096 + 512 + 1) = 4864 cells.
    assert.equal(kvCacheBytes(g2, { contextSize: 8192 }), 13 * 4096 * 8192 + 13 * 4096 * 4864);
    // Gemma 4: 4 full layers (head dim 512) + 20 sliding (window 512), last 18 layers share KV.
    assert.equal(kvCacheBytes(arch("gemma-4-e4b-it"), { contextSize: 32768 }), 16384 * 32768 + 40960 * 1280);
    assert.equal(kvCacheBytes(arch("qwen2.5-coder-1.5b"), { contextSize: 1000 }), 28672 * 1024);
  });

  it("scales the KV cache with sequences and the cache type", () => {
    const a = arch("qwen2.5-coder-1.5b");
    const f16 = kvCacheBytes(a, { contextSize: 4096 });
    assert.equal(kvCacheBytes(a, { contextSize: 4096, sequences: 2 }), 2 * f16);
    assert.equal(kvCacheBytes(a, { contextSize: 4096, kvCacheType: "q8_0" }), (f16 * 34) / 64);
  });

  it("counts a compute buffer of ~300 MiB for a 152k vocab at batch 512, scaling with vocab x batch", () => {
    const a = arch("qwen2.5-coder-1.5b");
    const fa = computeBufferBytes(a, { contextSize: 4096, flashAttention: true });
    assert.ok(fa > 290 * MiB && fa < 305 * MiB, `${fa / MiB} MiB`);
    assert.equal(fa, 4 * 512 * 1536 + 4 * 151936 * 512, "one batch of embeddings + its logits");
    const half = computeBufferBytes(a, { contextSize: 4096, batchSize: 256, flashAttention: true });
    assert.ok(Math.abs(fa / half - 2) < 0.01);
    const gemma = computeBufferBytes(arch("gemma-2-2b-it"), { contextSize: 4096, flashAttention: true });
    assert.ok(gemma > fa * 1.6, "256k vocab costs more than 152k");
  });

  it("takes the larger of the logits and one layer's KQ scores, not their sum, and scores span one sequence", () => {
    const a = arch("qwen2.5-coder-1.5b");
    const fa = computeBufferBytes(a, { contextSize: 4096, flashAttention: true });
    // 4k context: the scores (4 x 512 x 4096 x 12 = 96 MiB) fit in the logits' memory.
    assert.equal(computeBufferBytes(a, { contextSize: 4096 }), fa);
    // 32k context: the scores (768 MiB) outgrow the logits (297 MiB) and replace them.
    assert.equal(computeBufferBytes(a, { contextSize: 32768 }), 4 * 512 * 1536 + 4 * 512 * 32768 * 12);
    // Two sequences double the KV cache, not the scores (one KV stream per sequence).
    assert.equal(
      computeBufferBytes(a, { contextSize: 32768, sequences: 2 }),
      computeBufferBytes(a, { contextSize: 32768 }),
    );
    assert.equal(kvCacheBytes(a, { contextSize: 32768, sequences: 2 }), 2 * kvCacheBytes(a, { contextSize: 32768 }));
  });

  it("stays within -10 % / +5 % of the compute + output buffers llama.cpp allocated (docs/fit-estimate.md)", () => {
    // Qwen2.5-Coder-0.5B shape, CPU, batch 512, no flash attention: measured MiB by context x sequences.
    const measured: Array<[number, number, number]> = [
      [2048, 1, 301],
      [8192, 1, 303],
      [8192, 2, 303],
      [32768, 1, 970],
    ];
    const a = arch("qwen2.5-coder-0.5b");
    for (const [contextSize, sequences, mib] of measured) {
      const error = computeBufferBytes(a, { contextSize, sequences }) / MiB / mib - 1;
      assert.ok(error > -0.1 && error < 0.05, `${contextSize}x${sequences}: ${(error * 100).toFixed(1)} %`);
    }
  });

  it("adds a margin of 128 MiB + 5% and sums the parts", () => {
    const a = arch("qwen2.5-coder-1.5b");
    const e = estimateMemory(a, plain(1_000_000_000), { contextSize: 4096 }, "cpu");
    assert.equal(e.weightsBytes, 1_000_000_000);
    assert.equal(e.repackBytes, 0);
    assert.equal(e.marginBytes, marginFor(e.weightsBytes + e.kvCacheBytes + e.computeBytes));
    assert.equal(e.totalBytes, e.weightsBytes + e.kvCacheBytes + e.computeBytes + e.marginBytes);
    assert.equal(marginFor(0), SAFETY_MARGIN.fixedBytes);
    assert.equal(marginFor(1000 * MiB), 128 * MiB + 50 * MiB);
  });

  it("names the CPU's repacked part of the weights but counts the file once (its mmapped source is droppable)", () => {
    const a = arch("qwen2.5-coder-1.5b");
    const q4 = { fileSizeBytes: 874_785_792, cpuRepackBytes: 874_785_792 };
    const cpu = estimateMemory(a, q4, { contextSize: 2048 }, "cpu");
    const gpu = estimateMemory(a, q4, { contextSize: 2048 }, "gpu");
    assert.equal(cpu.repackBytes, q4.cpuRepackBytes);
    assert.equal(gpu.repackBytes, 0);
    assert.equal(cpu.weightsBytes, q4.fileSizeBytes);
    assert.equal(cpu.totalBytes, gpu.totalBytes, "the repacked copy is not added to the file");
    assert.equal(cpu.marginBytes, marginFor(cpu.weightsBytes + cpu.kvCacheBytes + cpu.computeBytes));
    // 1.5B Q4_0 at 2048 context (docs/fit-estimate.md): llama.cpp's buffers total 2016 MiB, 828 of
    // them CPU_REPACK, whose 828 MiB source pages in the mmapped file are clean page cache: 1188 MiB must stay.
    const unmargined = (cpu.totalBytes - cpu.marginBytes) / MiB;
    assert.ok(Math.abs(unmargined / (2016 - 828) - 1) < 0.03, `${unmargined.toFixed(0)} MiB`);
  });

  it("knows which types the CPU repacks (Q4_0, Q4_K, IQ4_NL) and counts the whole file for them", () => {
    for (const q of [
      "Q4_0",
      "QAT-Q4_0",
      "QAT-Q4_0-small",
      "Q4_K_S",
      "Q4_K_M",
      "Q4_K_L",
      "UD-Q4_K_XL",
      "IQ4_NL",
      "q4_k_m",
    ])
      assert.ok(cpuRepacksType(q), q);
    for (const q of ["Q4_1", "IQ4_XS", "Q5_K_M", "Q6_K", "Q8_0", "F16", "BF16", "IQ3_M", "custom"])
      assert.ok(!cpuRepacksType(q), q);
    assert.equal(cpuRepackBytes("Q4_K_M", 986e6), 986e6);
    assert.equal(cpuRepackBytes("Q8_0", 1.65e9), 0);
  });

  it("splits weights, their repacked part and KV by layer for partial offload, each side with its own compute buffer", () => {
    const a = arch("llama-3.1-8b-instruct");
    const size = 4.92e9;
    const w = { fileSizeBytes: size, cpuRepackBytes: size };
    for (const n of [1, 8, 16, 31]) {
      const { gpu, cpu } = splitEstimate(a, w, { contextSize: 8192 }, n);
      assert.ok(Math.abs(gpu.weightsBytes + cpu.weightsBytes - size) <= 1);
      assert.ok(Math.abs(gpu.weightsBytes / size - n / 32) < 1e-6);
      assert.equal(gpu.repackBytes, 0);
      assert.ok(Math.abs(cpu.repackBytes - cpu.weightsBytes) <= 1, "the CPU's layers are all repacked");
      assert.equal(cpu.totalBytes - cpu.marginBytes, cpu.weightsBytes + cpu.kvCacheBytes + cpu.computeBytes);
      assert.equal(gpu.computeBytes, cpu.computeBytes);
    }
    const full = splitEstimate(a, w, { contextSize: 8192 }, 32);
    assert.equal(full.cpu.totalBytes, 0);
    assert.equal(full.gpu.totalBytes, estimateMemory(a, w, { contextSize: 8192 }, "gpu").totalBytes);
    const none = splitEstimate(a, w, { contextSize: 8192 }, 0);
    assert.equal(none.gpu.totalBytes, 0);
    assert.equal(none.cpu.totalBytes, estimateMemory(a, w, { contextSize: 8192 }, "cpu").totalBytes);
  });

  it("finds the most GPU layers that fit, monotone in VRAM", () => {
    const a = arch("llama-3.1-8b-instruct");
    const size = plain(4.92e9);
    let previous = 0;
    for (let vram = 0; vram <= 12 * GiB; vram += GiB / 4) {
      const n = maxGpuLayers(a, size, { contextSize: 8192 }, vram);
      assert.ok(n >= previous, `${vram}: ${n} < ${previous}`);
      if (n > 0) assert.ok(splitEstimate(a, size, { contextSize: 8192 }, n).gpu.totalBytes <= vram);
      if (n < 32) assert.ok(splitEstimate(a, size, { contextSize: 8192 }, n + 1).gpu.totalBytes > vram);
      previous = n;
    }
    assert.equal(previous, 32);
  });
});

describe("fit estimate from GGUF header fields", () => {
  const qwen15: GgufArchFields = {
    architecture: "qwen2",
    blockCount: 28,
    embeddingLength: 1536,
    headCount: 12,
    headCountKv: 2,
    vocabSize: 151936,
    trainContextSize: 32768,
  };

  it("agrees with the catalog path for the same model", () => {
    for (const device of ["gpu", "cpu"] as const) {
      const w = { fileSizeBytes: 986e6, cpuRepackBytes: 986e6 };
      assert.deepEqual(
        estimateFromGguf(qwen15, w, { contextSize: 4096 }, device),
        estimateMemory(arch("qwen2.5-coder-1.5b"), w, { contextSize: 4096 }, device),
      );
    }
  });

  it("applies llama.cpp's SWA period per architecture (gemma2: every other layer)", () => {
    const g = archFromGgufFields({
      architecture: "gemma2",
      blockCount: 26,
      embeddingLength: 2304,
      headCount: 8,
      headCountKv: 4,
      keyLength: 256,
      valueLength: 256,
      slidingWindow: 4096,
      vocabSize: 256000,
      trainContextSize: 8192,
    });
    assert.equal(kvCacheBytes(g, { contextSize: 8192 }), kvCacheBytes(arch("gemma-2-2b-it"), { contextSize: 8192 }));
    const sliding = g.kvGroups.find((x) => x.slidingWindow !== null);
    assert.equal(sliding?.layers, 13);
  });

  it("handles per-layer patterns, per-layer KV heads, shared KV layers and windows >= the training context", () => {
    const g4 = archFromGgufFields({
      architecture: "gemma4",
      blockCount: 42,
      embeddingLength: 2560,
      headCount: 8,
      headCountKv: 2,
      keyLength: 512,
      valueLength: 512,
      keyLengthSwa: 256,
      valueLengthSwa: 256,
      slidingWindow: 512,
      slidingWindowPattern: Array.from({ length: 42 }, (_, i) => i % 6 !== 5),
      sharedKvLayers: 18,
      vocabSize: 262144,
      trainContextSize: 131072,
    });
    assert.equal(
      kvCacheBytes(g4, { contextSize: 32768 }),
      kvCacheBytes(arch("gemma-4-e4b-it"), { contextSize: 32768 }),
    );

    const hybrid = archFromGgufFields({ ...qwen15, architecture: "x", headCountKv: [2, 0, 2, 0], blockCount: 4 });
    assert.equal(
      hybrid.kvGroups.reduce((s, g) => s + g.layers, 0),
      2,
      "recurrent layers (0 KV heads) hold no KV",
    );

    const wide = archFromGgufFields({ ...qwen15, slidingWindow: 32768 });
    assert.ok(wide.kvGroups.every((x) => x.slidingWindow === null));
  });

  it("reads node-llama-cpp's architectureMetadata and names what is missing", () => {
    const fields = ggufArchFieldsFromMetadata(
      "qwen2",
      {
        block_count: 28,
        embedding_length: 1536,
        context_length: 32768,
        attention: { head_count: 12, head_count_kv: 2 },
        rope: {},
      },
      151936,
    );
    assert.deepEqual(archFromGgufFields(fields), archFromGgufFields(qwen15));
    assert.throws(
      () => ggufArchFieldsFromMetadata("qwen2", { embedding_length: 1, attention: { head_count: 1 } }),
      /qwen2\.block_count/,
    );
    assert.throws(
      () => ggufArchFieldsFromMetadata("qwen2", { block_count: 1, embedding_length: 1, attention: { head_count: 1 } }),
      /vocab_size/,
    );
  });
});
