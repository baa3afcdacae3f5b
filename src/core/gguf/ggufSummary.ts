/**
 * What model choice needs from a parsed GGUF header: the architecture numbers (shaped like
 * node-llama-cpp's `architectureMetadata`, so the same ggufArchFieldsFromMetadata turns either into
 * GgufArchFields), the quant name, and how many bytes of weights the CPU would repack. Pure.
 */
import { ggufArchFieldsFromMetadata, type GgufArchFields } from "../models/fitEstimate";
import { CPU_REPACKED_GGML_TYPES } from "../models/quantTypes";
import type { GgufHeader, GgufValue } from "./ggufHeader";

export interface GgufSummary {
  path: string;
  sizeBytes: number;
  version: number;
  architecture: string;
  name: string | null;
  /** llama_ftype name from general.file_type ("Q8_0", "Q4_K_M"), null when absent or unknown. */
  fileType: string | null;
  /** `<arch>.*` keys as a nested object (`attention.head_count`), like node-llama-cpp's architectureMetadata. */
  architectureMetadata: Record<string, unknown>;
  /** Length of tokenizer.ggml.tokens (stands in for a missing vocab_size). */
  tokenCount: number | null;
  fields: GgufArchFields;
  /** Bytes of tensors whose type llama.cpp's CPU backend repacks (quantTypes.CPU_REPACKED_GGML_TYPES). */
  cpuRepackBytes: number;
}

/** llama.cpp's llama_ftype values (llama.h), for naming a local file's quant. */
const FILE_TYPES: Record<number, string> = {
  0: "F32",
  1: "F16",
  2: "Q4_0",
  3: "Q4_1",
  7: "Q8_0",
  8: "Q5_0",
  9: "Q5_1",
  10: "Q2_K",
  11: "Q3_K_S",
  12: "Q3_K_M",
  13: "Q3_K_L",
  14: "Q4_K_S",
  15: "Q4_K_M",
  16: "Q5_K_S",
  17: "Q5_K_M",
  18: "Q6_K",
  19: "IQ2_XXS",
  20: "IQ2_XS",
  21: "Q2_K_S",
  22: "IQ3_XS",
  23: "IQ3_XXS",
  24: "IQ1_S",
  25: "IQ4_NL",
  26: "IQ3_S",
  27: "IQ3_M",
  28: "IQ2_S",
  29: "IQ2_M",
  30: "IQ4_XS",
  31: "IQ1_M",
  32: "BF16",
  36: "TQ1_0",
  37: "TQ2_0",
};

function plain(value: GgufValue): unknown {
  if (typeof value === "bigint")
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

function setNested(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

/** Summarises a parsed header. Throws an Error naming `path` when a required key is missing. */
export function ggufSummary(header: GgufHeader, path: string, sizeBytes: number): GgufSummary {
  const architecture = header.metadata.get("general.architecture");
  if (typeof architecture !== "string") throw new Error(`${path} has no general.architecture in its GGUF header`);
  const architectureMetadata: Record<string, unknown> = {};
  for (const [key, value] of header.metadata)
    if (key.startsWith(`${architecture}.`))
      setNested(architectureMetadata, key.slice(architecture.length + 1), plain(value));
  const tokens = header.metadata.get("tokenizer.ggml.tokens");
  const tokenCount =
    tokens && typeof tokens === "object" && "count" in tokens
      ? tokens.count
      : Array.isArray(tokens)
        ? tokens.length
        : null;
  const name = header.metadata.get("general.name");
  const fileTypeValue = header.metadata.get("general.file_type");
  const fileType = typeof fileTypeValue === "number" ? (FILE_TYPES[fileTypeValue] ?? null) : null;
  let fields: GgufArchFields;
  try {
    fields = ggufArchFieldsFromMetadata(architecture, architectureMetadata, tokenCount ?? undefined);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
  const cpuRepackBytes = header.tensors
    .filter((t) => t.ggmlType in CPU_REPACKED_GGML_TYPES)
    .reduce((sum, t) => sum + (t.byteSize ?? 0), 0);
  return {
    path,
    sizeBytes,
    version: header.version,
    architecture,
    name: typeof name === "string" ? name : null,
    fileType,
    architectureMetadata,
    tokenCount,
    fields,
    cpuRepackBytes,
  };
}
