/**
 * Quant selection: a pure function of (ladder, hardware, context, policy). Each quant gets its
 * best placement (full GPU, partial offload, CPU); the policy's ranking then picks among those
 * that fit. Rankings are lexicographic keys, so more memory (a superset of fitting options) can
 * never give a lower-ranked pick. The numbers each policy implies: docs/model-selection.md.
 */
import * as z from "zod";
import {
  estimateMemory,
  maxGpuLayers,
  MemoryEstimateSchema,
  splitEstimate,
  type ArchSpec,
  type ContextSpecInput,
  type MemoryEstimate,
  type WeightsInput,
} from "./fitEstimate";
import { memoryBudgets, type HardwareProfile, type MemoryBudgets } from "./hardwareProfile";
import { CPU_TOKENS_PER_SECOND, cpuRepackBytes, measuredCpuSpeed, nominalBits } from "./quantTypes";

export const QuantPolicySchema = z.enum(["quality", "balanced", "speed"]);
export type QuantPolicy = z.infer<typeof QuantPolicySchema>;

export interface LadderQuant {
  quant: string;
  file: string;
  /** Null for a local file. */
  repo: string | null;
  sizeBytes: number;
  /** Perplexity measured on this exact file, or null. */
  ppl: number | null;
  /** Bytes the CPU repacks, when known from the file's tensors; else derived from the quant name. */
  cpuRepackBytes?: number;
}

/** The file as the fit estimate sees it. */
export function ladderWeights(q: LadderQuant): WeightsInput {
  return { fileSizeBytes: q.sizeBytes, cpuRepackBytes: q.cpuRepackBytes ?? cpuRepackBytes(q.quant, q.sizeBytes) };
}

export interface ModelLadder {
  modelId: string;
  arch: ArchSpec;
  quants: LadderQuant[];
}

export const PlacementSchema = z.enum(["gpu", "partial", "cpu"]);
export type Placement = z.infer<typeof PlacementSchema>;

export const CandidateSchema = z.object({
  quant: z.string(),
  sizeBytes: z.number(),
  ppl: z.number().nullable(),
  totalBytes: z.number(),
  fits: z.boolean(),
  /** Where it fits best; for a quant that fits nowhere, the side its totalBytes was measured against. */
  placement: PlacementSchema,
});
export type Candidate = z.infer<typeof CandidateSchema>;

/** What `select` prints. */
export const ModelSelectionSchema = z.object({
  quant: z.string(),
  file: z.string(),
  sizeBytes: z.number(),
  placement: PlacementSchema,
  /** Layers on the GPU: blockCount for "gpu", 0 for "cpu". */
  gpuLayers: z.number().int().min(0),
  estimate: MemoryEstimateSchema,
  /** gpu: VRAM budget; cpu: RAM budget; partial: both together. */
  budgetBytes: z.number(),
  reason: z.string(),
  candidates: z.array(CandidateSchema),
});
export type ModelSelection = z.infer<typeof ModelSelectionSchema>;

/** Nothing fits (or the pinned quant does not): the reason says what was needed. */
export const NoFitSchema = z.object({
  quant: z.null(),
  reason: z.string(),
  budgetBytes: z.number(),
  candidates: z.array(CandidateSchema),
});
export type NoFit = z.infer<typeof NoFitSchema>;

export const SelectionResultSchema = z.union([ModelSelectionSchema, NoFitSchema]);
export type SelectionResult = ModelSelection | NoFit;

export function isNoFit(result: SelectionResult): result is NoFit {
  return result.quant === null;
}

/** Bits outside [floor, cap] rank below everything inside for balanced and speed. */
export const POLICY_BITS = { floor: 4, cap: 8 } as const;

export interface Option {
  q: LadderQuant;
  placement: Placement;
  gpuLayers: number;
  estimate: MemoryEstimate;
  budgetBytes: number;
}

export function sumEstimates(a: MemoryEstimate, b: MemoryEstimate): MemoryEstimate {
  return {
    weightsBytes: a.weightsBytes + b.weightsBytes,
    repackBytes: a.repackBytes + b.repackBytes,
    kvCacheBytes: a.kvCacheBytes + b.kvCacheBytes,
    computeBytes: a.computeBytes + b.computeBytes,
    marginBytes: a.marginBytes + b.marginBytes,
    totalBytes: a.totalBytes + b.totalBytes,
  };
}

/** Full GPU if it fits, else the most layers a split allows, else CPU; null if none fits. */
export function bestPlacement(
  arch: ArchSpec,
  q: LadderQuant,
  context: ContextSpecInput,
  budgets: MemoryBudgets,
): Option | null {
  const weights = ladderWeights(q);
  const onGpu = estimateMemory(arch, weights, context, "gpu");
  if (budgets.gpuBytes > 0 && onGpu.totalBytes <= budgets.gpuBytes) {
    return { q, placement: "gpu", gpuLayers: arch.blockCount, estimate: onGpu, budgetBytes: budgets.gpuBytes };
  }
  if (budgets.partialOffload && budgets.gpuBytes > 0) {
    const n = maxGpuLayers(arch, weights, context, budgets.gpuBytes);
    if (n > 0 && n < arch.blockCount) {
      const split = splitEstimate(arch, weights, context, n);
      if (split.cpu.totalBytes <= budgets.ramBytes) {
        return {
          q,
          placement: "partial",
          gpuLayers: n,
          estimate: sumEstimates(split.gpu, split.cpu),
          budgetBytes: budgets.gpuBytes + budgets.ramBytes,
        };
      }
    }
  }
  const onCpu = estimateMemory(arch, weights, context, "cpu");
  if (onCpu.totalBytes <= budgets.ramBytes)
    return { q, placement: "cpu", gpuLayers: 0, estimate: onCpu, budgetBytes: budgets.ramBytes };
  return null;
}

const TIER: Record<Placement, number> = { cpu: 0, partial: 1, gpu: 2 };

/** Quality class: nominal bits; the quality policy counts 8-bit and up as one class. */
function qualityClass(policy: QuantPolicy, quant: string): number {
  const bits = nominalBits(quant);
  if (bits === null) return 0;
  return policy === "quality" ? Math.min(bits, 8) : bits;
}

/**
 * Order within a class: measured perplexity when every quant of that class in the ladder has one,
 * else file size (more bits kept). Mixing the two would not give a consistent order.
 */
export function withinClassScores(policy: QuantPolicy, ladder: ModelLadder): Map<string, number> {
  const byClass = new Map<number, LadderQuant[]>();
  for (const q of ladder.quants) {
    const c = qualityClass(policy, q.quant);
    byClass.set(c, [...(byClass.get(c) ?? []), q]);
  }
  const scores = new Map<string, number>();
  for (const members of byClass.values()) {
    const measured = members.every((q) => q.ppl !== null);
    for (const q of members) scores.set(q.quant, measured ? -(q.ppl as number) : q.sizeBytes);
  }
  return scores;
}

export function inBitsRange(quant: string): [floorOk: number, capOk: number] {
  const bits = nominalBits(quant);
  return [bits === null || bits >= POLICY_BITS.floor ? 1 : 0, bits === null || bits <= POLICY_BITS.cap ? 1 : 0];
}

/** Speed proxy: on GPU, fewer bytes per token; on CPU, the measured types first. */
function speedScore(option: Option): [number, number] {
  if (option.placement === "gpu") return [1, -option.q.sizeBytes];
  const measured = measuredCpuSpeed(option.q.quant);
  return measured !== null ? [1, measured] : [0, -option.q.sizeBytes];
}

export function rankKey(
  policy: QuantPolicy,
  option: Option,
  within: Map<string, number>,
  blockCount: number,
): number[] {
  const cls = qualityClass(policy, option.q.quant);
  const tier = TIER[option.placement];
  const layers = option.gpuLayers / blockCount;
  const inner = within.get(option.q.quant) ?? 0;
  if (policy === "quality") return [cls, tier, layers, inner];
  const [floorOk, capOk] = inBitsRange(option.q.quant);
  const partialLayers = option.placement === "partial" ? layers : 0;
  if (policy === "balanced") return [floorOk, capOk, tier, partialLayers, cls, inner];
  return [floorOk, capOk, tier, partialLayers, ...speedScore(option), cls, inner];
}

/** Lexicographic; -Infinity (used for "nothing fits") compares like any number. */
function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The selection a placed quant makes, with the reason that chose it (single and joint picks alike). */
export function selectionOf(o: Option, reason: string, candidates: Candidate[]): ModelSelection {
  return {
    quant: o.q.quant,
    file: o.q.file,
    sizeBytes: o.q.sizeBytes,
    placement: o.placement,
    gpuLayers: o.gpuLayers,
    estimate: o.estimate,
    budgetBytes: o.budgetBytes,
    reason,
    candidates,
  };
}

export interface SelectOptions {
  /** Only this quant (an explicit "id:QUANT" or a local file). */
  pinQuant?: string;
  /** Replaces the budgets derived from the hardware (selectForSlots uses it to share memory). */
  budgets?: MemoryBudgets;
}

const GiB = 1024 ** 3;
export function formatGiB(bytes: number): string {
  return `${(bytes / GiB).toFixed(2)} GiB`;
}

/**
 * Picks a quant from `ladder` for `hardware` under `policy`. Returns the `select` output shape,
 * or a NoFit whose reason says how much the smallest candidate needs.
 */
export function selectModel(
  ladder: ModelLadder,
  hardware: HardwareProfile,
  context: ContextSpecInput,
  policy: QuantPolicy,
  options: SelectOptions = {},
): SelectionResult {
  const budgets = options.budgets ?? memoryBudgets(hardware);
  const within = withinClassScores(policy, ladder);
  const quants = [...ladder.quants].sort((a, b) => a.sizeBytes - b.sizeBytes || a.quant.localeCompare(b.quant));
  const placed = quants.map((q) => ({ q, option: bestPlacement(ladder.arch, q, context, budgets) }));
  const candidates: Candidate[] = placed.map(({ q, option }) => {
    if (option)
      return {
        quant: q.quant,
        sizeBytes: q.sizeBytes,
        ppl: q.ppl,
        totalBytes: option.estimate.totalBytes,
        fits: true,
        placement: option.placement,
      };
    const placement: Placement = budgets.gpuBytes > budgets.ramBytes ? "gpu" : "cpu";
    return {
      quant: q.quant,
      sizeBytes: q.sizeBytes,
      ppl: q.ppl,
      totalBytes: estimateMemory(ladder.arch, ladderWeights(q), context, placement === "gpu" ? "gpu" : "cpu")
        .totalBytes,
      fits: false,
      placement,
    };
  });
  const budgetBytes = Math.max(budgets.gpuBytes, budgets.ramBytes);

  const pin = options.pinQuant?.toLowerCase();
  const eligible = placed.filter(({ q }) => pin === undefined || q.quant.toLowerCase() === pin);
  if (eligible.length === 0)
    return { quant: null, reason: `${ladder.modelId} has no quant "${options.pinQuant}"`, budgetBytes, candidates };

  let best: { option: Option; key: number[] } | null = null;
  for (const { option } of eligible) {
    if (!option) continue;
    const key = rankKey(policy, option, within, ladder.arch.blockCount);
    if (!best || compareKeys(key, best.key) > 0) best = { option, key };
  }
  if (!best)
    return {
      quant: null,
      reason: noFitReason(
        ladder,
        eligible.map((e) => e.q),
        candidates,
        budgets,
        pin !== undefined,
      ),
      budgetBytes,
      candidates,
    };

  const o = best.option;
  return selectionOf(o, pickReason(policy, o, ladder, budgets, candidates, pin !== undefined), candidates);
}

function placementText(o: Option, blockCount: number): string {
  if (o.placement === "gpu") return "fully on the GPU";
  if (o.placement === "partial")
    return `partial offload, ${o.gpuLayers}/${blockCount} layers on the GPU, the rest on the CPU`;
  return "on the CPU";
}

function pickReason(
  policy: QuantPolicy,
  o: Option,
  ladder: ModelLadder,
  budgets: MemoryBudgets,
  candidates: Candidate[],
  pinned: boolean,
): string {
  const where = `${placementText(o, ladder.arch.blockCount)}, needs ${formatGiB(o.estimate.totalBytes)} of ${formatGiB(o.budgetBytes)}`;
  if (pinned) return `${o.q.quant} as set explicitly, ${where}`;
  const fitting = candidates.filter((c) => c.fits).length;
  const cpuWhy = budgets.gpuBytes <= 0 ? "no GPU memory" : "no candidate fits in VRAM";
  const [floorOk] = inBitsRange(o.q.quant);
  const range = `${POLICY_BITS.floor}-${POLICY_BITS.cap}-bit`;
  if (policy === "quality")
    return `quality: ${o.q.quant} is the highest-quality quant that fits (${fitting} of ${candidates.length} fit), ${where}`;
  if (!floorOk) return `${policy}: no ${range} quant fits anywhere; ${o.q.quant} is below the quality floor, ${where}`;
  if (policy === "balanced") {
    if (o.placement === "gpu")
      return `balanced: ${o.q.quant} is the best ${range} quant that fits fully in VRAM, ${where}`;
    if (o.placement === "partial")
      return `balanced: no ${range} quant fits fully in VRAM; ${o.q.quant} puts the most layers on the GPU, ${where}`;
    return `balanced: CPU only (${cpuWhy}); ${o.q.quant} is the best ${range} quant that fits in free RAM, ${where}`;
  }
  if (o.placement === "gpu")
    return `speed: ${o.q.quant} is the smallest ${range} quant fully in VRAM (fewer bytes read per token), ${where}`;
  if (o.placement === "partial")
    return `speed: no ${range} quant fits fully in VRAM; ${o.q.quant} puts the most layers on the GPU, ${where}`;
  const measured = measuredCpuSpeed(o.q.quant);
  const table = Object.entries(CPU_TOKENS_PER_SECOND)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return measured !== null
    ? `speed: CPU only (${cpuWhy}); ${o.q.quant} is the fastest measured CPU type that fits (tokens/s on the reference CPU: ${table}), ${where}`
    : `speed: CPU only (${cpuWhy}); no measured-fast type (${Object.keys(CPU_TOKENS_PER_SECOND).join(", ")}) fits, ${o.q.quant} is the smallest ${range} quant, ${where}`;
}

function noFitReason(
  ladder: ModelLadder,
  considered: LadderQuant[],
  candidates: Candidate[],
  budgets: MemoryBudgets,
  pinned: boolean,
): string {
  const relevant = candidates.filter((c) => considered.some((q) => q.quant === c.quant));
  const smallest = relevant.reduce((a, b) => (b.totalBytes < a.totalBytes ? b : a));
  const budget =
    budgets.gpuBytes > 0
      ? `VRAM ${formatGiB(budgets.gpuBytes)}, RAM ${formatGiB(budgets.ramBytes)}`
      : `RAM ${formatGiB(budgets.ramBytes)}`;
  const what = pinned
    ? `${smallest.quant} (set explicitly)`
    : `the smallest quant of ${ladder.modelId}, ${smallest.quant},`;
  return `Nothing fits: ${what} needs ${formatGiB(smallest.totalBytes)}; free ${budget}. Lower the context size, pick a smaller model, or free memory.`;
}

/** The ranking key of a selection under `policy` (tests compare picks with it). */
export function selectionKey(policy: QuantPolicy, ladder: ModelLadder, selection: ModelSelection): number[] {
  const q = ladder.quants.find((x) => x.quant === selection.quant);
  if (!q) throw new Error(`${selection.quant} is not in the ladder`);
  const option: Option = {
    q,
    placement: selection.placement,
    gpuLayers: selection.gpuLayers,
    estimate: selection.estimate,
    budgetBytes: selection.budgetBytes,
  };
  return rankKey(policy, option, withinClassScores(policy, ladder), ladder.arch.blockCount);
}

export { compareKeys as compareSelectionKeys };

export interface SlotRequest {
  ladder: ModelLadder;
  context: ContextSpecInput;
  pinQuant?: string;
}

export interface SlotSelections {
  completion: SelectionResult | null;
  chat: SelectionResult | null;
  budgets: { completion: MemoryBudgets | null; chat: MemoryBudgets | null };
}

/**
 * How completion and chat loaded together share one memory budget; completion (latency-critical)
 * goes first. It reserves what its best pick (or its pinned quant) would need with unlimited
 * memory, capped by what exists; chat gets the rest. Both shares grow with memory.
 */
export function shareBudgets(
  hardware: HardwareProfile,
  policy: QuantPolicy,
  completion: SlotRequest,
): { completion: MemoryBudgets; chat: MemoryBudgets } {
  const all = memoryBudgets(hardware);
  const ideal = (budgets: MemoryBudgets): number => {
    const pick = selectModel(completion.ladder, hardware, completion.context, policy, {
      pinQuant: completion.pinQuant,
      budgets,
    });
    return isNoFit(pick) ? 0 : pick.estimate.totalBytes;
  };
  // Completion takes up to its reserve of each pool; chat gets the rest. Once completion's pick
  // sits fully in VRAM it needs no RAM share.
  const split = (gpuReserve: number, ramReserve: number, partialOffload: boolean, completionOnGpu = false) => {
    const mine = {
      gpuBytes: Math.min(all.gpuBytes, gpuReserve),
      ramBytes: Math.min(all.ramBytes, ramReserve),
      partialOffload,
    };
    const chat = {
      gpuBytes: all.gpuBytes - mine.gpuBytes,
      ramBytes: completionOnGpu ? all.ramBytes : all.ramBytes - mine.ramBytes,
      partialOffload,
    };
    return { completion: mine, chat };
  };
  const hasGpu = all.gpuBytes > 0;
  if (!hasGpu || !all.partialOffload) {
    // CPU only, or unified memory: one pool.
    const reserve = ideal({ gpuBytes: hasGpu ? Infinity : 0, ramBytes: Infinity, partialOffload: false });
    return split(reserve, reserve, false);
  }
  const gpuReserve = ideal({ gpuBytes: Infinity, ramBytes: Infinity, partialOffload: true });
  const ramReserve = ideal({ gpuBytes: 0, ramBytes: Infinity, partialOffload: false });
  return split(gpuReserve, ramReserve, true, all.gpuBytes >= gpuReserve);
}

/**
 * Picks for completion and chat loaded together, on the shares of shareBudgets. A single slot
 * gets the whole machine. Neither pick gets worse on a bigger machine.
 */
export function selectForSlots(
  hardware: HardwareProfile,
  policy: QuantPolicy,
  slots: { completion?: SlotRequest; chat?: SlotRequest },
): SlotSelections {
  const all = memoryBudgets(hardware);
  const run = (req: SlotRequest | undefined, budgets: MemoryBudgets) =>
    req ? selectModel(req.ladder, hardware, req.context, policy, { pinQuant: req.pinQuant, budgets }) : null;
  if (!slots.completion || !slots.chat) {
    return {
      completion: run(slots.completion, all),
      chat: run(slots.chat, all),
      budgets: { completion: slots.completion ? all : null, chat: slots.chat ? all : null },
    };
  }
  const shares = shareBudgets(hardware, policy, slots.completion);
  return { completion: run(slots.completion, shares.completion), chat: run(slots.chat, shares.chat), budgets: shares };
}
