/**
 * "auto" as one joint, pure, deterministic choice of (completion model + quant, chat model +
 * quant) for a machine: every pair of candidates is placed and ranked, the best pair that fits
 * wins. The ranking is a lexicographic key (pairKey), so more memory (a superset of fitting pairs)
 * never gives a worse pair. The table of picks per machine: docs/model-selection.md.
 */
import { ladderFromCatalog, loadCatalog } from "./catalog";
import type { CatalogModel, Role } from "./catalogSchema";
import { estimateMemory, splitEstimate, type ContextSpecInput } from "./fitEstimate";
import { memoryBudgets, type HardwareProfile, type MemoryBudgets } from "./hardwareProfile";
import {
  bestPlacement,
  compareSelectionKeys,
  formatGiB,
  inBitsRange,
  isNoFit,
  ladderWeights,
  rankKey,
  selectModel,
  selectionOf,
  withinClassScores,
  type ModelLadder,
  type ModelSelection,
  type NoFit,
  type Option,
  type QuantPolicy,
} from "./selectModel";

/**
 * auto draws from one family, Qwen2.5-Coder (the FIM-trained base models for completion, their
 * Instruct twins for chat). The catalog holds no benchmark figure that ranks models of different
 * families against each other, so rather than invent one, the quality score is the parameter count
 * within this family, read from the model id (Qwen2.5-Coder README: 0.5B, 1.5B, 3B, 7B). Other
 * families stay available by setting their id explicitly.
 */
export const AUTO_FAMILY: Readonly<Record<Role, RegExp>> = {
  completion: /^qwen2\.5-coder-(\d+(?:\.\d+)?)b$/,
  chat: /^qwen2\.5-coder-(\d+(?:\.\d+)?)b-instruct$/,
};

/** Fraction of the GPU budget the completion model may take, so chat keeps the rest (see pairKey). */
export const COMPLETION_GPU_SHARE = 0.5;

/**
 * Generation-speed floors on the CPU, in tokens/s, estimated as memory bandwidth / bytes read per
 * token (the weights on the CPU side). Completion text is waited for while typing; chat is read
 * while it streams (5 tokens/s is about reading speed).
 */
export const MIN_CPU_TOKENS_PER_SECOND: Readonly<Record<Role, number>> = { completion: 10, chat: 5 };

/**
 * CPU memory bandwidth assumed until one is measured: the low end of a laptop's (dual-channel
 * DDR4/LPDDR, ~20-50 GB/s). Low on purpose: an unmeasured machine gets the faster, smaller pick.
 */
export const DEFAULT_CPU_BANDWIDTH_BYTES_PER_SECOND = 20e9;

export interface AutoCandidate {
  /** Catalog id, or the file path of a path setting. */
  id: string;
  model: CatalogModel | null;
  ladder: ModelLadder;
  /** Quality score: parameters in billions (AUTO_FAMILY); 0 for a fixed setting (one candidate only). */
  score: number;
  pinQuant?: string;
}

export interface AutoChoiceOptions {
  /** Licence ids (catalog license.id) the user accepted; models that need acceptance are skipped otherwise. */
  acceptedLicences?: readonly string[];
  /** Measured CPU memory bandwidth; the default above when absent. */
  cpuBandwidthBytesPerSecond?: number | null;
}

/** Parameter count (billions) of an auto-family model id, or null when it is not in the family. */
export function autoFamilyScore(role: Role, id: string): number | null {
  const m = AUTO_FAMILY[role].exec(id);
  return m ? Number(m[1]) : null;
}

function licenceOk(model: CatalogModel, accepted: readonly string[]): boolean {
  if (model.license.requiresAcceptance === false) return true;
  // Unknown (null) counts as gated: the licence has to be read first (qwen-research for the 3B).
  return model.license.id !== null && accepted.includes(model.license.id);
}

/** The catalog models auto considers for a role, largest first. */
export function autoCandidates(role: Role, options: AutoChoiceOptions = {}): AutoCandidate[] {
  const accepted = options.acceptedLicences ?? [];
  const out: AutoCandidate[] = [];
  for (const model of loadCatalog().models) {
    const score = autoFamilyScore(role, model.id);
    if (score === null || !model.roles.includes(role) || !licenceOk(model, accepted)) continue;
    const ladder = ladderFromCatalog(model);
    if (ladder.quants.length > 0) out.push({ id: model.id, model, ladder, score });
  }
  return out.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
}

/** Memory one slot's placement takes on each side. */
export interface DeviceUse {
  gpuBytes: number;
  ramBytes: number;
}

export interface PlacedOption {
  candidate: AutoCandidate;
  option: Option;
  use: DeviceUse;
  /** Estimated generation speed from the CPU side's bytes per token; null when fully on the GPU. */
  cpuTokensPerSecond: number | null;
}

function deviceUse(o: Option, ladder: ModelLadder, context: ContextSpecInput, unified: boolean): DeviceUse {
  if (o.placement === "gpu") return { gpuBytes: o.estimate.totalBytes, ramBytes: unified ? o.estimate.totalBytes : 0 };
  if (o.placement === "cpu") return { gpuBytes: 0, ramBytes: o.estimate.totalBytes };
  const split = splitEstimate(ladder.arch, ladderWeights(o.q), context, o.gpuLayers);
  return { gpuBytes: split.gpu.totalBytes, ramBytes: split.cpu.totalBytes };
}

/** Bandwidth / weight bytes on the CPU side (every weight is read once per generated token). */
export function cpuTokensPerSecond(
  o: Pick<Option, "placement" | "gpuLayers" | "q">,
  blockCount: number,
  bandwidth: number,
): number | null {
  if (o.placement === "gpu") return null;
  const cpuBytes = o.q.sizeBytes * (1 - o.gpuLayers / blockCount);
  return cpuBytes > 0 ? bandwidth / cpuBytes : null;
}

function placed(
  candidate: AutoCandidate,
  o: Option,
  context: ContextSpecInput,
  unified: boolean,
  bandwidth: number,
): PlacedOption {
  return {
    candidate,
    option: o,
    use: deviceUse(o, candidate.ladder, context, unified),
    cpuTokensPerSecond: cpuTokensPerSecond(o, candidate.ladder.arch.blockCount, bandwidth),
  };
}

function quantsOf(c: AutoCandidate) {
  const pin = c.pinQuant?.toLowerCase();
  return c.ladder.quants.filter((q) => pin === undefined || q.quant.toLowerCase() === pin);
}

/**
 * The completion model's GPU allowance: half of the GPU budget, or, when no completion option fits
 * in half, the smallest that fits in all of it (so "fully on the GPU whenever any can be" holds).
 */
export function completionGpuCap(
  budgets: MemoryBudgets,
  candidates: readonly AutoCandidate[],
  context: ContextSpecInput,
): number {
  if (budgets.gpuBytes <= 0) return 0;
  const half = budgets.gpuBytes * COMPLETION_GPU_SHARE;
  let smallest = Infinity;
  for (const c of candidates)
    for (const q of quantsOf(c))
      smallest = Math.min(smallest, estimateMemory(c.ladder.arch, ladderWeights(q), context, "gpu").totalBytes);
  return smallest <= budgets.gpuBytes ? Math.max(half, smallest) : half;
}

/** Every placement completion may take: fully on the GPU within the cap, else (no GPU option at all) its best split or the CPU. */
export function completionOptions(
  candidates: readonly AutoCandidate[],
  context: ContextSpecInput,
  budgets: MemoryBudgets,
  unified: boolean,
  bandwidth: number,
): { cap: number; options: PlacedOption[] } {
  const cap = completionGpuCap(budgets, candidates, context);
  const options: PlacedOption[] = [];
  for (const c of candidates)
    for (const q of quantsOf(c)) {
      const onGpu = estimateMemory(c.ladder.arch, ladderWeights(q), context, "gpu");
      if (cap > 0 && onGpu.totalBytes <= cap) {
        options.push(
          placed(
            c,
            { q, placement: "gpu", gpuLayers: c.ladder.arch.blockCount, estimate: onGpu, budgetBytes: cap },
            context,
            unified,
            bandwidth,
          ),
        );
        continue;
      }
      const o = bestPlacement(c.ladder.arch, q, context, { ...budgets, gpuBytes: cap });
      if (o) options.push(placed(c, o, context, unified, bandwidth));
    }
  return { cap, options };
}

/** What is left for chat once completion took `use`. Unified memory is one pool. */
export function remainingBudgets(budgets: MemoryBudgets, use: DeviceUse | null, unified: boolean): MemoryBudgets {
  if (!use) return budgets;
  const ramBytes = Math.max(0, budgets.ramBytes - use.ramBytes);
  const gpuBytes = Math.max(0, budgets.gpuBytes - use.gpuBytes);
  return {
    gpuBytes: unified ? Math.min(gpuBytes, ramBytes) : gpuBytes,
    ramBytes,
    partialOffload: budgets.partialOffload,
  };
}

export function chatOptions(
  candidates: readonly AutoCandidate[],
  context: ContextSpecInput,
  budgets: MemoryBudgets,
  unified: boolean,
  bandwidth: number,
): PlacedOption[] {
  const out: PlacedOption[] = [];
  for (const c of candidates)
    for (const q of quantsOf(c)) {
      const o = bestPlacement(c.ladder.arch, q, context, budgets);
      if (o) out.push(placed(c, o, context, unified, bandwidth));
    }
  return out;
}

function speedOk(p: PlacedOption, role: Role): number {
  return p.cpuTokensPerSecond === null || p.cpuTokensPerSecond >= MIN_CPU_TOKENS_PER_SECOND[role] ? 1 : 0;
}

const withinCache = new WeakMap<ModelLadder, Map<QuantPolicy, Map<string, number>>>();
function within(policy: QuantPolicy, ladder: ModelLadder): Map<string, number> {
  let byPolicy = withinCache.get(ladder);
  if (!byPolicy) withinCache.set(ladder, (byPolicy = new Map()));
  let scores = byPolicy.get(policy);
  if (!scores) byPolicy.set(policy, (scores = withinClassScores(policy, ladder)));
  return scores;
}

function slotRank(policy: QuantPolicy, p: PlacedOption): number[] {
  return rankKey(policy, p.option, within(policy, p.candidate.ladder), p.candidate.ladder.arch.blockCount);
}

/**
 * The policy over pairs, most important first:
 * 1. completion fits; 2. completion fully on the GPU (never given up for chat); 3. chat fits;
 * 4. both above their CPU speed floors; 5. both at >= 4 bits (every policy: a 7B at 2-3 bits is
 * not taken over a smaller model at 4-8); 6. chat model score, then completion model score (a
 * bigger chat model is what more memory buys first; completion's size is bounded by its GPU
 * allowance); 7. the single-model policy key of chat (placement, then quant for balanced), then
 * of completion (selectModel's rankKey).
 */
export function pairKey(policy: QuantPolicy, completion: PlacedOption | null, chat: PlacedOption | null): number[] {
  return assemblePairKey(slotKeyParts(policy, "completion", completion), slotKeyParts(policy, "chat", chat));
}

/** One slot's share of pairKey (computed once per option when many pairs are ranked). */
export interface SlotKeyParts {
  fits: number;
  onGpu: number;
  speedOk: number;
  floorOk: number;
  score: number;
  rank: number[];
}

export function slotKeyParts(policy: QuantPolicy, role: Role, p: PlacedOption | null): SlotKeyParts {
  if (!p) return { fits: 0, onGpu: 0, speedOk: 0, floorOk: 0, score: 0, rank: [0, 0, 0, 0, 0, 0, 0, 0] };
  return {
    fits: 1,
    onGpu: p.option.placement === "gpu" ? 1 : 0,
    speedOk: speedOk(p, role),
    floorOk: inBitsRange(p.option.q.quant)[0],
    score: p.candidate.score,
    rank: slotRank(policy, p),
  };
}

export function assemblePairKey(c: SlotKeyParts, h: SlotKeyParts): number[] {
  return [c.fits, c.onGpu, h.fits, c.speedOk, h.speedOk, c.floorOk, h.floorOk, h.score, c.score, ...h.rank, ...c.rank];
}

export interface SlotChoice {
  /** The candidate's id (catalog id or path). */
  id: string;
  model: CatalogModel | null;
  ladder: ModelLadder;
  /** The slot's share of the machine: selectAmongDownloaded and the per-quant badges use it. */
  budgets: MemoryBudgets;
  selection: ModelSelection | NoFit;
  use: DeviceUse | null;
  cpuTokensPerSecond: number | null;
}

export interface AutoChoice {
  completion: SlotChoice | null;
  chat: SlotChoice | null;
  totalBytes: number;
  /** gpu + ram budgets (one pool with unified memory). */
  budgetBytes: number;
  reason: string;
  cpuBandwidth: { bytesPerSecond: number; measured: boolean };
  key: number[];
}

export interface SlotCandidates {
  candidates: readonly AutoCandidate[];
  context: ContextSpecInput;
}

/**
 * The joint choice. Brute force over every (completion option, chat option): the candidate lists
 * are small (tens of quants each), and a search that prunes could miss the best pair.
 */
export function chooseAuto(
  hardware: HardwareProfile,
  policy: QuantPolicy,
  slots: { completion: SlotCandidates; chat: SlotCandidates },
  options: AutoChoiceOptions = {},
): AutoChoice {
  const budgets = memoryBudgets(hardware);
  const unified = hardware.unifiedMemory && hardware.gpu !== "none" && budgets.gpuBytes > 0;
  const measured = options.cpuBandwidthBytesPerSecond != null && options.cpuBandwidthBytesPerSecond > 0;
  const bandwidth = measured ? (options.cpuBandwidthBytesPerSecond as number) : DEFAULT_CPU_BANDWIDTH_BYTES_PER_SECOND;
  const comp = completionOptions(slots.completion.candidates, slots.completion.context, budgets, unified, bandwidth);
  let best: { c: PlacedOption | null; h: PlacedOption | null; key: number[]; rest: MemoryBudgets } | null = null;
  for (const c of comp.options.length > 0 ? comp.options : [null]) {
    const rest = remainingBudgets(budgets, c?.use ?? null, unified);
    const chats = chatOptions(slots.chat.candidates, slots.chat.context, rest, unified, bandwidth);
    for (const h of chats.length > 0 ? chats : [null]) {
      const key = pairKey(policy, c, h);
      if (!best || compareSelectionKeys(key, best.key) > 0) best = { c, h, key, rest };
    }
  }
  const b = best!;
  // Completion's share: what chat leaves, and on the GPU no more than its allowance.
  const chatUse = b.h?.use ?? { gpuBytes: 0, ramBytes: 0 };
  const left = remainingBudgets(budgets, chatUse, unified);
  const completionShare: MemoryBudgets =
    b.c?.option.placement === "gpu" ? { ...left, gpuBytes: Math.min(comp.cap, left.gpuBytes) } : left;
  const completion = slotChoice(
    "completion",
    hardware,
    policy,
    slots.completion,
    b.c,
    completionShare,
    bandwidth,
    measured,
    comp.cap,
  );
  const chat = slotChoice("chat", hardware, policy, slots.chat, b.h, b.rest, bandwidth, measured, comp.cap);
  const totalBytes = (b.c?.option.estimate.totalBytes ?? 0) + (b.h?.option.estimate.totalBytes ?? 0);
  const budgetBytes = unified || budgets.gpuBytes <= 0 ? budgets.ramBytes : budgets.gpuBytes + budgets.ramBytes;
  return {
    completion,
    chat,
    totalBytes,
    budgetBytes,
    reason: pairReason(policy, b.c, b.h, totalBytes, budgetBytes, bandwidth, measured),
    cpuBandwidth: { bytesPerSecond: bandwidth, measured },
    key: b.key,
  };
}

function speedText(tps: number | null, bandwidth: number, measured: boolean): string {
  if (tps === null) return "";
  return `, about ${tps.toFixed(1)} tokens/s on the CPU (${(bandwidth / 1e9).toFixed(1)} GB/s ${measured ? "measured" : "assumed, not measured"})`;
}

function placementText(o: Option, blockCount: number): string {
  if (o.placement === "gpu") return "fully on the GPU";
  if (o.placement === "partial") return `${o.gpuLayers}/${blockCount} layers on the GPU, the rest on the CPU`;
  return "on the CPU";
}

function slotChoice(
  role: Role,
  hardware: HardwareProfile,
  policy: QuantPolicy,
  slot: SlotCandidates,
  p: PlacedOption | null,
  share: MemoryBudgets,
  bandwidth: number,
  measured: boolean,
  cap: number,
): SlotChoice | null {
  if (slot.candidates.length === 0) return null;
  if (!p) {
    // Nothing fits: the smallest candidate's own no-fit reason says what it needs.
    const smallest = slot.candidates[slot.candidates.length - 1];
    const none = selectModel(smallest.ladder, hardware, slot.context, policy, {
      budgets: share,
      pinQuant: smallest.pinQuant,
    });
    const selection: NoFit = isNoFit(none)
      ? none
      : {
          quant: null,
          reason: `Nothing fits for ${role} beside the other model.`,
          budgetBytes: none.budgetBytes,
          candidates: none.candidates,
        };
    return {
      id: smallest.id,
      model: smallest.model,
      ladder: smallest.ladder,
      budgets: share,
      selection,
      use: null,
      cpuTokensPerSecond: null,
    };
  }
  const c = p.candidate;
  const single = selectModel(c.ladder, hardware, slot.context, policy, { budgets: share, pinQuant: p.option.q.quant });
  const o = p.option;
  const blocks = c.ladder.arch.blockCount;
  const why = slotReason(role, policy, p, cap, share) + speedText(p.cpuTokensPerSecond, bandwidth, measured);
  const selection = selectionOf(
    o,
    `${why}; ${placementText(o, blocks)}, needs ${formatGiB(o.estimate.totalBytes)}`,
    single.candidates,
  );
  return {
    id: c.id,
    model: c.model,
    ladder: c.ladder,
    budgets: share,
    selection,
    use: p.use,
    cpuTokensPerSecond: p.cpuTokensPerSecond,
  };
}

function slotReason(role: Role, policy: QuantPolicy, p: PlacedOption, cap: number, share: MemoryBudgets): string {
  const name = `${p.candidate.id} ${p.option.q.quant}`;
  const fixed = p.candidate.score === 0;
  if (role === "completion") {
    if (fixed) return `${name} as set`;
    if (p.option.placement === "gpu")
      return `${policy}: ${name} is the largest completion model (${p.candidate.score}B) that fits fully on the GPU within its allowance of ${formatGiB(cap)}`;
    return `${policy}: no completion model fits on the GPU; ${name} is the largest above ${MIN_CPU_TOKENS_PER_SECOND.completion} tokens/s`;
  }
  if (fixed)
    return `${name} as set, on what completion leaves (${share.gpuBytes > 0 ? `VRAM ${formatGiB(share.gpuBytes)}, ` : ""}RAM ${formatGiB(share.ramBytes)})`;
  return `${policy}: ${name} is the largest chat model (${p.candidate.score}B) at 4-bit or more that fits beside completion (${share.gpuBytes > 0 ? `VRAM ${formatGiB(share.gpuBytes)}, ` : ""}RAM ${formatGiB(share.ramBytes)} left) above ${MIN_CPU_TOKENS_PER_SECOND.chat} tokens/s`;
}

function pairReason(
  policy: QuantPolicy,
  c: PlacedOption | null,
  h: PlacedOption | null,
  total: number,
  budget: number,
  bandwidth: number,
  measured: boolean,
): string {
  const name = (p: PlacedOption | null) =>
    p ? `${p.candidate.id} ${p.option.q.quant} (${p.option.placement})` : "nothing";
  const bw = `CPU bandwidth ${(bandwidth / 1e9).toFixed(1)} GB/s ${measured ? "measured" : "assumed"}`;
  return `${policy}: completion ${name(c)} + chat ${name(h)} need ${formatGiB(total)} of ${formatGiB(budget)}; ${bw}`;
}

/** Candidates for a slot: auto's family, or one fixed ladder (an explicit id or a file). */
export function fixedCandidate(
  id: string,
  model: CatalogModel | null,
  ladder: ModelLadder,
  pinQuant?: string,
): AutoCandidate {
  return { id, model, ladder, score: 0, ...(pinQuant ? { pinQuant } : {}) };
}
