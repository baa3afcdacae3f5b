/**
 * What a quant's name says about it: nominal bits per weight (the digit in Q4_K_M, IQ3_M, F16)
 * and the CPU speeds measured for a few types.
 */

/** Nominal bits from the type name; prefixes like UD- (unsloth) and QAT- are ignored. Null: unknown. */
export function nominalBits(quant: string): number | null {
  const name = quant.toUpperCase().replace(/^(UD-|QAT-)/, "");
  if (/^(F16|BF16)\b/.test(name)) return 16;
  if (/^F32\b/.test(name)) return 32;
  const m = /^(?:I?Q|TQ)(\d)/.exec(name);
  return m ? Number(m[1]) : null;
}

/**
 * Generation speed on this project's reference CPU (llama-bench, 2 threads, Qwen2.5-Coder-1.5B):
 * tg 22.1 / 15.3 / 13.9 tokens/s for Q4_0 / Q8_0 / Q4_K_M (docs/benchmarks.md). Other
 * types were not measured, so the speed policy ranks them after these.
 */
export const CPU_TOKENS_PER_SECOND: Readonly<Record<string, number>> = { Q4_0: 22.1, Q8_0: 15.3, Q4_K_M: 13.9 };

/** QAT files are plain Q4_0 tensors (with f16 embeddings), so they count as Q4_0. */
export function measuredCpuSpeed(quant: string): number | null {
  const base = quant
    .toUpperCase()
    .replace(/^QAT-/, "")
    .replace(/-SMALL$/, "");
  return CPU_TOKENS_PER_SECOND[base] ?? null;
}

/**
 * Whether llama.cpp's CPU backend keeps a second, interleaved copy of this type's weights
 * (a CPU_REPACK buffer) when they run on the CPU. In the llama.cpp that node-llama-cpp 3.22.1
 * ships (ggml-cpu/repack.cpp, ggml_repack_get_optimal_repack_type), x86 with AVX2 repacks Q4_0,
 * Q4_K and IQ4_NL, as does ARM with dot-product instructions. Measured on x86 AVX2 for all three
 * (docs/fit-estimate.md). ARM also repacks Q5_K, Q6_K and Q8_0; those are not counted: the
 * hardware profile does not say which CPU it is, and none of that was measured.
 */
export function cpuRepacksType(quant: string): boolean {
  const base = quant
    .toUpperCase()
    .replace(/^(UD-|QAT-)/, "")
    .replace(/-SMALL$/, "");
  return base === "Q4_0" || base === "IQ4_NL" || /^Q4_K(_[A-Z]+)?$/.test(base);
}

/** The same types by ggml type id, for files whose tensors are known (ggml.h: GGML_TYPE_*). */
export const CPU_REPACKED_GGML_TYPES: Readonly<Record<number, string>> = { 2: "Q4_0", 12: "Q4_K", 20: "IQ4_NL" };

/**
 * Bytes of a file's weights the CPU copies, from its quant name alone (catalog files): the whole
 * file for a repacked type. For K-quant mixes that is an upper bound: a Q4_K_M file also holds
 * Q6_K tensors (ffn_down, attn_v, often the output matrix) that x86 does not repack. For a file on
 * disk the header's tensor types give the exact sum (core/gguf/ggufSummary.ts).
 */
export function cpuRepackBytes(quant: string, fileSizeBytes: number): number {
  return cpuRepacksType(quant) ? fileSizeBytes : 0;
}
