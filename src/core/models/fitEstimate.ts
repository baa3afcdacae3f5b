/**
 * Memory a model needs: weights (the file, once, on either device) + KV cache + compute buffer +
 * safety margin. Pure arithmetic from architecture numbers (the catalog's before download, the GGUF
 * header's after), so quant selection can run without loading anything. How close it comes to
 * what llama.cpp allocates: docs/fit-estimate.md.
 */
import * as z from "zod";
import type { CatalogArch } from "./catalogSchema";

const MiB = 1024 * 1024;

/** Layers sharing one KV shape; sliding-window layers keep at most about `slidingWindow` cells. */
export interface KvLayerGroup {
  layers: number;
  headCountKv: number;
  keyLength: number;
  valueLength: number;
  slidingWindow: number | null;
}

export interface ArchSpec {
  blockCount: number;
  embeddingLength: number;
  headCount: number;
  vocabSize: number;
  /** Only layers that own a KV cache (Gemma 4 shares KV across its last layers). */
  kvGroups: KvLayerGroup[];
}

export const KvCacheTypeSchema = z.enum(["f16", "q8_0", "q4_0"]);
export type KvCacheType = z.infer<typeof KvCacheTypeSchema>;
/** Bytes per cached element of each type (ggml blocks: q8_0 = 34 bytes / 32, q4_0 = 18 bytes / 32 elements). */
const KV_BYTES_PER_ELEMENT: Record<KvCacheType, number> = { f16: 2, q8_0: 34 / 32, q4_0: 18 / 32 };

export const ContextSpecSchema = z.object({
  contextSize: z.number().int().min(1),
  batchSize: z.number().int().min(1).default(512),
  sequences: z.number().int().min(1).default(1),
  kvCacheType: KvCacheTypeSchema.default("f16"),
  /** Without flash attention llama.cpp reserves a full KQ score matrix per batch. */
  flashAttention: z.boolean().default(false),
});
export type ContextSpec = z.infer<typeof ContextSpecSchema>;
export type ContextSpecInput = z.input<typeof ContextSpecSchema>;

/** A model file as the estimate sees it. */
export interface WeightsInput {
  /** The GGUF file's size. */
  fileSizeBytes: number;
  /**
   * Bytes of it that llama.cpp's CPU backend copies into an interleaved layout (a CPU_REPACK
   * buffer) for the layers on the CPU (quantTypes.cpuRepackBytes). Shown, not added: see
   * MemoryEstimate.repackBytes.
   */
  cpuRepackBytes: number;
}

/** Where a part of the model runs: only the CPU keeps a repacked copy of the weights. */
export type Device = "gpu" | "cpu";

export const MemoryEstimateSchema = z.object({
  weightsBytes: z.number().min(0),
  /**
   * Of weightsBytes, the part the CPU holds as a repacked copy (0 on the GPU). Part of the weights,
   * not added to them: the copy is as large as its source, and the mmapped pages it was copied
   * from are clean page cache, never read again, that the kernel drops under memory pressure.
   * Measured (RSS less the repack source, docs/fit-estimate.md): the file counts once.
   */
  repackBytes: z.number().min(0),
  kvCacheBytes: z.number().min(0),
  computeBytes: z.number().min(0),
  marginBytes: z.number().min(0),
  totalBytes: z.number().min(0),
});
export type MemoryEstimate = z.infer<typeof MemoryEstimateSchema>;

/**
 * Safety margin per device: a fixed part for allocator slack and small buffers, plus a share of
 * the rest because HF listing sizes are rounded and the compute estimate is approximate.
 */
export const SAFETY_MARGIN = { fixedBytes: 128 * MiB, fraction: 0.05 } as const;

/** llama.cpp pads the KV cache size to a multiple of 256 cells. */
function pad256(n: number): number {
  return Math.ceil(n / 256) * 256;
}

function cellsFor(group: KvLayerGroup, ctx: ContextSpec): number {
  const full = pad256(ctx.contextSize) * ctx.sequences;
  if (group.slidingWindow === null) return full;
  // llama.cpp's iSWA cache keeps window + one batch per sequence (node-llama-cpp estimates the same).
  return Math.min(full, pad256(group.slidingWindow * ctx.sequences + ctx.batchSize + 1));
}

export function kvCacheBytes(arch: ArchSpec, contextInput: ContextSpecInput): number {
  const ctx = ContextSpecSchema.parse(contextInput);
  const perElement = KV_BYTES_PER_ELEMENT[ctx.kvCacheType];
  let total = 0;
  for (const g of arch.kvGroups)
    total += g.layers * g.headCountKv * (g.keyLength + g.valueLength) * cellsFor(g, ctx) * perElement;
  return Math.ceil(total);
}

/**
 * Compute buffer: the f32 embeddings of a batch (4 x batch x n_embd) plus the larger of the f32
 * logits of the batch (4 x vocab x batch: ~297 MiB for a 152k vocab at batch 512) and one layer's
 * f32 KQ scores without flash attention (4 x batch x cells x heads). llama.cpp's graph allocator
 * reuses memory, so logits and scores never live at the same time; attention spans one
 * sequence's cells, since each sequence has its own KV stream. Measured: docs/fit-estimate.md.
 */
export function computeBufferBytes(arch: ArchSpec, contextInput: ContextSpecInput): number {
  const ctx = ContextSpecSchema.parse(contextInput);
  const tokens = Math.min(ctx.batchSize, pad256(ctx.contextSize) * ctx.sequences);
  const logits = 4 * arch.vocabSize * tokens;
  const oneSequence = { ...ctx, sequences: 1 };
  const cells = Math.max(0, ...arch.kvGroups.filter((g) => g.layers > 0).map((g) => cellsFor(g, oneSequence)));
  const scores = ctx.flashAttention ? 0 : 4 * tokens * cells * arch.headCount;
  return 4 * tokens * arch.embeddingLength + Math.max(logits, scores);
}

export function marginFor(subtotalBytes: number): number {
  return Math.ceil(SAFETY_MARGIN.fixedBytes + SAFETY_MARGIN.fraction * subtotalBytes);
}

function withMargin(weightsBytes: number, repackBytes: number, kvBytes: number, computeBytes: number): MemoryEstimate {
  // repackBytes is part of weightsBytes (the copy stands in for droppable page cache): not added.
  const subtotal = weightsBytes + kvBytes + computeBytes;
  const marginBytes = marginFor(subtotal);
  return {
    weightsBytes,
    repackBytes,
    kvCacheBytes: kvBytes,
    computeBytes,
    marginBytes,
    totalBytes: subtotal + marginBytes,
  };
}

/**
 * Everything on one device (full GPU offload, or CPU only). Weights = the GGUF file's size on
 * both; on the CPU the repackable part of it is named (repackBytes) but counts once.
 */
export function estimateMemory(
  arch: ArchSpec,
  weights: WeightsInput,
  context: ContextSpecInput,
  device: Device,
): MemoryEstimate {
  const repack = device === "cpu" ? weights.cpuRepackBytes : 0;
  return withMargin(weights.fileSizeBytes, repack, kvCacheBytes(arch, context), computeBufferBytes(arch, context));
}

/**
 * Partial offload: `gpuLayers` of `blockCount` layers on the GPU. Weights (and the repacked
 * part of the CPU's) and KV are split in proportion to layers (an approximation: embeddings stay on the CPU, the
 * output matrix follows the last layer); each device reserves its own compute buffer and margin.
 */
export function splitEstimate(
  arch: ArchSpec,
  weights: WeightsInput,
  context: ContextSpecInput,
  gpuLayers: number,
): { gpu: MemoryEstimate; cpu: MemoryEstimate } {
  return split(arch.blockCount, weights, kvCacheBytes(arch, context), computeBufferBytes(arch, context), gpuLayers);
}

function split(
  blockCount: number,
  weights: WeightsInput,
  kv: number,
  compute: number,
  gpuLayers: number,
): { gpu: MemoryEstimate; cpu: MemoryEstimate } {
  const n = Math.max(0, Math.min(blockCount, Math.floor(gpuLayers)));
  const share = n / blockCount;
  const zero: MemoryEstimate = {
    weightsBytes: 0,
    repackBytes: 0,
    kvCacheBytes: 0,
    computeBytes: 0,
    marginBytes: 0,
    totalBytes: 0,
  };
  const gpu = n === 0 ? zero : withMargin(Math.ceil(weights.fileSizeBytes * share), 0, Math.ceil(kv * share), compute);
  const cpu =
    n === blockCount
      ? zero
      : withMargin(
          Math.ceil(weights.fileSizeBytes * (1 - share)),
          Math.ceil(weights.cpuRepackBytes * (1 - share)),
          Math.ceil(kv * (1 - share)),
          compute,
        );
  return { gpu, cpu };
}

/** The most layers whose GPU share fits in `vramBytes` (0 when not even one does). */
export function maxGpuLayers(
  arch: ArchSpec,
  weights: WeightsInput,
  context: ContextSpecInput,
  vramBytes: number,
): number {
  const kv = kvCacheBytes(arch, context);
  const compute = computeBufferBytes(arch, context);
  for (let n = arch.blockCount; n > 0; n--) {
    if (split(arch.blockCount, weights, kv, compute, n).gpu.totalBytes <= vramBytes) return n;
  }
  return 0;
}

export function archFromCatalog(arch: CatalogArch): ArchSpec {
  const kvGroups: KvLayerGroup[] = [];
  if (arch.fullLayers > 0) {
    const dim = arch.fullHeadDim ?? arch.headDim;
    kvGroups.push({
      layers: arch.fullLayers,
      headCountKv: arch.headCountKv,
      keyLength: dim,
      valueLength: dim,
      slidingWindow: null,
    });
  }
  if (arch.slidingLayers > 0) {
    kvGroups.push({
      layers: arch.slidingLayers,
      headCountKv: arch.headCountKv,
      keyLength: arch.headDim,
      valueLength: arch.headDim,
      slidingWindow: arch.slidingWindow,
    });
  }
  return {
    blockCount: arch.blockCount,
    embeddingLength: arch.embeddingLength,
    headCount: arch.headCount,
    vocabSize: arch.vocabSize,
    kvGroups,
  };
}

/** Architecture fields as read from a GGUF header (node-llama-cpp's `architectureMetadata`). */
export interface GgufArchFields {
  architecture: string;
  blockCount: number;
  embeddingLength: number;
  headCount: number;
  /** One value, or one per layer (0 = a recurrent layer without KV). */
  headCountKv?: number | readonly number[];
  keyLength?: number;
  valueLength?: number;
  keyLengthSwa?: number;
  valueLengthSwa?: number;
  slidingWindow?: number;
  /** A period (llama.cpp set_swa_pattern) or one flag per layer. */
  slidingWindowPattern?: number | readonly boolean[];
  /** Trailing layers that reuse earlier layers' KV (Gemma 4). */
  sharedKvLayers?: number;
  vocabSize: number;
  trainContextSize?: number;
}

/** SWA periods llama.cpp sets per architecture (hparams.set_swa_pattern), as node-llama-cpp mirrors them. */
const SWA_PERIOD: Record<string, number> = {
  gemma2: 2,
  gemma3: 6,
  gemma3n: 5,
  cohere2: 4,
  llama4: 4,
  olmo2: 4,
  exaone4: 4,
  "gpt-oss": 2,
};

function isSwaLayer(fields: GgufArchFields, layer: number): boolean {
  const pattern = fields.slidingWindowPattern;
  if (Array.isArray(pattern)) return Boolean(pattern[layer]);
  const period =
    typeof pattern === "number" ? Math.max(0, Math.floor(pattern)) : (SWA_PERIOD[fields.architecture] ?? 1);
  if (period === 0) return true;
  return layer % period < period - 1;
}

export function archFromGgufFields(fields: GgufArchFields): ArchSpec {
  const window =
    fields.slidingWindow &&
    fields.slidingWindow > 0 &&
    (fields.trainContextSize === undefined || fields.slidingWindow < fields.trainContextSize)
      ? fields.slidingWindow
      : null;
  const defaultHeadDim = Math.floor(fields.embeddingLength / fields.headCount);
  const kvLayers = Math.max(0, fields.blockCount - Math.max(0, fields.sharedKvLayers ?? 0));
  const groups = new Map<string, KvLayerGroup>();
  for (let i = 0; i < kvLayers; i++) {
    const hkv =
      typeof fields.headCountKv === "number" ? fields.headCountKv : (fields.headCountKv?.[i] ?? fields.headCount);
    if (hkv === 0) continue;
    const swa = window !== null && isSwaLayer(fields, i);
    const keyLength = (swa ? fields.keyLengthSwa : undefined) ?? fields.keyLength ?? defaultHeadDim;
    const valueLength = (swa ? fields.valueLengthSwa : undefined) ?? fields.valueLength ?? defaultHeadDim;
    const slidingWindow = swa ? window : null;
    const key = `${hkv}/${keyLength}/${valueLength}/${slidingWindow}`;
    const group = groups.get(key);
    if (group) group.layers++;
    else groups.set(key, { layers: 1, headCountKv: hkv, keyLength, valueLength, slidingWindow });
  }
  return {
    blockCount: fields.blockCount,
    embeddingLength: fields.embeddingLength,
    headCount: fields.headCount,
    vocabSize: fields.vocabSize,
    kvGroups: [...groups.values()],
  };
}

const ArchitectureMetadataSchema = z.looseObject({
  block_count: z.number().int().positive(),
  embedding_length: z.number().int().positive(),
  context_length: z.number().int().positive().optional(),
  vocab_size: z.number().int().positive().optional(),
  attention: z.looseObject({
    head_count: z.number().int().positive(),
    head_count_kv: z.union([z.number().int().min(0), z.array(z.number().int().min(0))]).optional(),
    key_length: z.number().int().positive().optional(),
    value_length: z.number().int().positive().optional(),
    key_length_swa: z.number().int().positive().optional(),
    value_length_swa: z.number().int().positive().optional(),
    sliding_window: z.number().int().min(0).optional(),
    sliding_window_pattern: z.union([z.number().int().min(0), z.array(z.boolean())]).optional(),
    shared_kv_layers: z.number().int().min(0).optional(),
  }),
});

/**
 * Turns node-llama-cpp's `readGgufFileInfo(...).architectureMetadata` (snake_case keys) into
 * GgufArchFields. `tokenCount` (tokenizer.ggml.tokens length) stands in when vocab_size is absent.
 * Throws a readable error when a required key is missing.
 */
export function ggufArchFieldsFromMetadata(
  architecture: string,
  architectureMetadata: unknown,
  tokenCount?: number,
): GgufArchFields {
  const parsed = ArchitectureMetadataSchema.safeParse(architectureMetadata);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `GGUF metadata for ${architecture} lacks ${architecture}.${issue.path.join(".")}: ${issue.message}`,
    );
  }
  const m = parsed.data;
  const vocabSize = m.vocab_size ?? tokenCount;
  if (!vocabSize)
    throw new Error(`GGUF metadata for ${architecture} has neither ${architecture}.vocab_size nor tokenizer tokens`);
  const a = m.attention;
  return {
    architecture,
    blockCount: m.block_count,
    embeddingLength: m.embedding_length,
    headCount: a.head_count,
    headCountKv: a.head_count_kv,
    keyLength: a.key_length,
    valueLength: a.value_length,
    keyLengthSwa: a.key_length_swa,
    valueLengthSwa: a.value_length_swa,
    slidingWindow: a.sliding_window,
    slidingWindowPattern: a.sliding_window_pattern,
    sharedKvLayers: a.shared_kv_layers,
    vocabSize,
    trainContextSize: m.context_length,
  };
}

/** Estimate for a file on disk whose header was read. */
export function estimateFromGguf(
  fields: GgufArchFields,
  weights: WeightsInput,
  context: ContextSpecInput,
  device: Device,
): MemoryEstimate {
  return estimateMemory(archFromGgufFields(fields), weights, context, device);
}
