/**
 * Memory a model needs: weights + KV cache + compute buffer + safety margin. Pure arithmetic from
 * architecture numbers (the catalog's before download, the GGUF header's after), so quant
 * selection can run without loading anything.
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

export const MemoryEstimateSchema = z.object({
  weightsBytes: z.number().min(0),
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

/** ggml block sizes: f16 = 2 bytes, q8_0 = 34 bytes / 32, q4_0 = 18 bytes / 32 elements. */
const KV_BYTES_PER_ELEMENT: Record<KvCacheType, number> = { f16: 2, q8_0: 34 / 32, q4_0: 18 / 32 };

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
  for (const g of arch.kvGroups) total += g.layers * g.headCountKv * (g.keyLength + g.valueLength) * cellsFor(g, ctx) * perElement;
  return Math.ceil(total);
}

/**
 * Compute buffer: the f32 logits of a whole batch (vocab x batch x 4: ~297 MiB for a 152k vocab
 * at batch 512, as measured) plus the attention workspace (f32 KQ scores for one layer without
 * flash attention), following node-llama-cpp's estimate for llama-like architectures.
 */
export function computeBufferBytes(arch: ArchSpec, contextInput: ContextSpecInput): number {
  const ctx = ContextSpecSchema.parse(contextInput);
  const tokens = Math.min(ctx.batchSize, pad256(ctx.contextSize) * ctx.sequences);
  const logits = 4 * arch.vocabSize * tokens;
  const maxCells = Math.max(0, ...arch.kvGroups.filter((g) => g.layers > 0).map((g) => cellsFor(g, ctx)));
  const scores = ctx.flashAttention ? 0 : maxCells * arch.headCount;
  return 4 * tokens * (arch.embeddingLength + scores) + logits;
}

export function marginFor(subtotalBytes: number): number {
  return Math.ceil(SAFETY_MARGIN.fixedBytes + SAFETY_MARGIN.fraction * subtotalBytes);
}

function withMargin(weightsBytes: number, kvBytes: number, computeBytes: number): MemoryEstimate {
  const subtotal = weightsBytes + kvBytes + computeBytes;
  const marginBytes = marginFor(subtotal);
  return { weightsBytes, kvCacheBytes: kvBytes, computeBytes, marginBytes, totalBytes: subtotal + marginBytes };
}

/** Everything on one device (full GPU offload, or CPU only). Weights = the GGUF file's size. */
export function estimateMemory(arch: ArchSpec, fileSizeBytes: number, context: ContextSpecInput): MemoryEstimate {
  return withMargin(fileSizeBytes, kvCacheBytes(arch, context), computeBufferBytes(arch, context));
}

/**
 * Partial offload: `gpuLayers` of `blockCount` layers on the GPU. Weights and KV are split in
 * proportion to layers (an approximation: embeddings stay on the CPU, the output matrix follows
 * the last layer); each device reserves its own compute buffer and margin.
 */
export function splitEstimate(
  arch: ArchSpec,
  fileSizeBytes: number,
  context: ContextSpecInput,
  gpuLayers: number,
): { gpu: MemoryEstimate; cpu: MemoryEstimate } {
  return split(arch.blockCount, fileSizeBytes, kvCacheBytes(arch, context), computeBufferBytes(arch, context), gpuLayers);
}

function split(blockCount: number, fileSizeBytes: number, kv: number, compute: number, gpuLayers: number): { gpu: MemoryEstimate; cpu: MemoryEstimate } {
  const n = Math.max(0, Math.min(blockCount, Math.floor(gpuLayers)));
  const share = n / blockCount;
  const zero: MemoryEstimate = { weightsBytes: 0, kvCacheBytes: 0, computeBytes: 0, marginBytes: 0, totalBytes: 0 };
  const gpu = n === 0 ? zero : withMargin(Math.ceil(fileSizeBytes * share), Math.ceil(kv * share), compute);
  const cpu = n === blockCount ? zero : withMargin(Math.ceil(fileSizeBytes * (1 - share)), Math.ceil(kv * (1 - share)), compute);
  return { gpu, cpu };
}

/** The most layers whose GPU share fits in `vramBytes` (0 when not even one does). */
export function maxGpuLayers(arch: ArchSpec, fileSizeBytes: number, context: ContextSpecInput, vramBytes: number): number {
  const kv = kvCacheBytes(arch, context);
  const compute = computeBufferBytes(arch, context);
  for (let n = arch.blockCount; n > 0; n--) {
    if (split(arch.blockCount, fileSizeBytes, kv, compute, n).gpu.totalBytes <= vramBytes) return n;
  }
  return 0;
}

export function archFromCatalog(arch: CatalogArch): ArchSpec {
  const kvGroups: KvLayerGroup[] = [];
  if (arch.fullLayers > 0) {
    const dim = arch.fullHeadDim ?? arch.headDim;
    kvGroups.push({ layers: arch.fullLayers, headCountKv: arch.headCountKv, keyLength: dim, valueLength: dim, slidingWindow: null });
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
  return { blockCount: arch.blockCount, embeddingLength: arch.embeddingLength, headCount: arch.headCount, vocabSize: arch.vocabSize, kvGroups };
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
  const period = typeof pattern === "number" ? Math.max(0, Math.floor(pattern)) : (SWA_PERIOD[fields.architecture] ?? 1);
  if (period === 0) return true;
  return layer % period < period - 1;
}

export function archFromGgufFields(fields: GgufArchFields): ArchSpec {
  const window =
    fields.slidingWindow && fields.slidingWindow > 0 && (fields.trainContextSize === undefined || fields.slidingWindow < fields.trainContextSize)
      ? fields.slidingWindow
      : null;
  const defaultHeadDim = Math.floor(fields.embeddingLength / fields.headCount);
  const kvLayers = Math.max(0, fields.blockCount - Math.max(0, fields.sharedKvLayers ?? 0));
  const groups = new Map<string, KvLayerGroup>();
  for (let i = 0; i < kvLayers; i++) {
    const hkv = typeof fields.headCountKv === "number" ? fields.headCountKv : (fields.headCountKv?.[i] ?? fields.headCount);
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
export function ggufArchFieldsFromMetadata(architecture: string, architectureMetadata: unknown, tokenCount?: number): GgufArchFields {
  const parsed = ArchitectureMetadataSchema.safeParse(architectureMetadata);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`GGUF metadata for ${architecture} lacks ${architecture}.${issue.path.join(".")}: ${issue.message}`);
  }
  const m = parsed.data;
  const vocabSize = m.vocab_size ?? tokenCount;
  if (!vocabSize) throw new Error(`GGUF metadata for ${architecture} has neither ${architecture}.vocab_size nor tokenizer tokens`);
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

/** Estimate for a file on disk whose header the worker has read. */
export function estimateFromGguf(fields: GgufArchFields, fileSizeBytes: number, context: ContextSpecInput): MemoryEstimate {
  return estimateMemory(archFromGgufFields(fields), fileSizeBytes, context);
}
