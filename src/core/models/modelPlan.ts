/**
 * From settings to picks: which catalog model "auto" means on a machine, and the quant each slot
 * gets when completion and chat share the machine (selectForSlots). Pure: the caller detects the
 * hardware, reads the headers of .gguf path settings and checks which files are downloaded.
 */
import { findModel, ladderFromCatalog, ModelOverrideError, parseModelOverride, resolveCatalogOverride } from "./catalog";
import type { CatalogModel, Role } from "./catalogSchema";
import type { ContextSpecInput } from "./fitEstimate";
import type { HardwareProfile, MemoryBudgets } from "./hardwareProfile";
import { isNoFit, selectForSlots, selectModel, shareBudgets, type ModelLadder, type QuantPolicy, type SelectionResult, type SlotRequest } from "./selectModel";

const GiB = 1024 ** 3;

/**
 * What "auto" loads, largest tier first. The tiers follow llama.vscode's presets (ggml-org/llama.vscode
 * README: Qwen2.5-Coder 7B above 16 GB of VRAM, 1.5B below 8 GB and on CPU-only machines; the same
 * split for its chat list). Its 3B tier is left out: Qwen2.5-Coder-3B is under the qwen-research
 * licence, so it is only used when chosen explicitly. The tier goes by *total* VRAM, which does
 * not change between sessions, so "auto" does not switch models (and downloads) with the load on
 * the GPU; free memory only decides the quant.
 */
export const AUTO_MODEL_TIERS: Readonly<Record<Role, readonly { minVramTotalBytes: number; id: string }[]>> = {
  completion: [
    { minVramTotalBytes: 15 * GiB, id: "qwen2.5-coder-7b" },
    { minVramTotalBytes: 0, id: "qwen2.5-coder-1.5b" },
  ],
  chat: [
    { minVramTotalBytes: 15 * GiB, id: "qwen2.5-coder-7b-instruct" },
    { minVramTotalBytes: 0, id: "qwen2.5-coder-1.5b-instruct" },
  ],
};

/** The catalog model "auto" stands for on this machine. */
export function autoModelId(role: Role, hardware: HardwareProfile): string {
  const vram = hardware.gpu === "none" ? 0 : hardware.vramTotalBytes;
  const tier = AUTO_MODEL_TIERS[role].find((t) => vram >= t.minVramTotalBytes);
  return (tier ?? AUTO_MODEL_TIERS[role][AUTO_MODEL_TIERS[role].length - 1]).id;
}

export interface SlotInput {
  /** The raw setting: "auto", "id", "id:QUANT" or an absolute .gguf path. */
  setting: string;
  contextSize: number;
  /** For a path setting: the one-quant ladder from the file's header, or why it could not be read. */
  fileLadder?: ModelLadder | Error;
}

export interface PlanOptions {
  /** KV sequences per context (the worker creates 2: one for completion prompts, one for chat). */
  sequences?: number;
  batchSize?: number;
  flashAttention?: boolean;
}

export interface SlotPlan {
  slot: Role;
  setting: string;
  source: "auto" | "catalog" | "path";
  /** The catalog model ("auto" or an id); null for a path. */
  model: CatalogModel | null;
  ladder: ModelLadder | null;
  /** An explicit quant ("id:QUANT", or the file's own type for a path). */
  pinQuant: string | null;
  context: ContextSpecInput;
  selection: SelectionResult | null;
  /** This slot's share of the machine (selectForSlots). */
  budgets: MemoryBudgets | null;
  /** Planned together with the other slot (the machine is shared), not alone. */
  shared: boolean;
  /** Why nothing can be selected (a bad setting, an unreadable file); null otherwise. */
  problem: string | null;
}

export type SlotPlans = Record<Role, SlotPlan | null>;

interface Prepared {
  plan: SlotPlan;
  request: SlotRequest | null;
}

function prepare(slot: Role, input: SlotInput, hardware: HardwareProfile, options: PlanOptions): Prepared {
  const context: ContextSpecInput = {
    contextSize: input.contextSize,
    sequences: options.sequences ?? 1,
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.flashAttention !== undefined ? { flashAttention: options.flashAttention } : {}),
  };
  const base: SlotPlan = { slot, setting: input.setting, source: "auto", model: null, ladder: null, pinQuant: null, context, selection: null, budgets: null, shared: false, problem: null };
  let override;
  try {
    override = parseModelOverride(input.setting);
  } catch (error) {
    return { plan: { ...base, problem: (error as Error).message }, request: null };
  }
  if (override.kind === "path") {
    const plan: SlotPlan = { ...base, source: "path" };
    if (input.fileLadder === undefined) return { plan: { ...plan, problem: `The header of ${override.path} was not read.` }, request: null };
    if (input.fileLadder instanceof Error) return { plan: { ...plan, problem: input.fileLadder.message }, request: null };
    const ladder = input.fileLadder;
    const pinQuant = ladder.quants[0]?.quant ?? null;
    return { plan: { ...plan, ladder, pinQuant }, request: { ladder, context, pinQuant: pinQuant ?? undefined } };
  }
  let model: CatalogModel;
  let pinQuant: string | null = null;
  if (override.kind === "auto") {
    const id = autoModelId(slot, hardware);
    const found = findModel(id);
    if (!found) return { plan: { ...base, problem: `The catalog has no model "${id}" for auto.` }, request: null };
    model = found;
  } else {
    try {
      const resolved = resolveCatalogOverride(override, slot);
      model = resolved.model;
      pinQuant = resolved.quant?.quant ?? null;
    } catch (error) {
      if (error instanceof ModelOverrideError) return { plan: { ...base, source: "catalog", problem: `localCode.${slot}.model: ${error.message}` }, request: null };
      throw error;
    }
  }
  const ladder = ladderFromCatalog(model);
  const plan: SlotPlan = { ...base, source: override.kind, model, ladder, pinQuant };
  if (ladder.quants.length === 0) return { plan: { ...plan, problem: `${model.id} has no downloadable file in the catalog.` }, request: null };
  return { plan, request: { ladder, context, pinQuant: pinQuant ?? undefined } };
}

/**
 * Plans both slots on one machine. Slots given together share its memory the way
 * selectForSlots shares it (completion first); a slot whose setting is unusable does not take
 * a share.
 */
export function planSlots(
  hardware: HardwareProfile,
  policy: QuantPolicy,
  inputs: Partial<Record<Role, SlotInput>>,
  options: PlanOptions = {},
): SlotPlans {
  const completion = inputs.completion ? prepare("completion", inputs.completion, hardware, options) : null;
  const chat = inputs.chat ? prepare("chat", inputs.chat, hardware, options) : null;
  const picks = selectForSlots(hardware, policy, { completion: completion?.request ?? undefined, chat: chat?.request ?? undefined });
  const shared = Boolean(completion?.request && chat?.request);
  const finish = (p: Prepared | null, selection: SelectionResult | null, budgets: MemoryBudgets | null): SlotPlan | null =>
    p === null ? null : p.request === null ? p.plan : { ...p.plan, selection, budgets, shared };
  return {
    completion: finish(completion, picks.completion, picks.budgets.completion),
    chat: finish(chat, picks.chat, picks.budgets.chat),
  };
}

/**
 * The best of the quants already on disk, on the same share of the machine: "auto" keeps using a
 * downloaded file when free memory now favours another quant, instead of asking for a download.
 * Null when none of them is downloaded or none fits.
 */
export function selectAmongDownloaded(plan: SlotPlan, downloaded: ReadonlySet<string>, hardware: HardwareProfile, policy: QuantPolicy): SelectionResult | null {
  if (!plan.ladder || !plan.budgets) return null;
  const quants = plan.ladder.quants.filter((q) => downloaded.has(q.quant) && (plan.pinQuant === null || q.quant === plan.pinQuant));
  if (quants.length === 0) return null;
  const result = selectModel({ ...plan.ladder, quants }, hardware, plan.context, policy, { budgets: plan.budgets });
  return isNoFit(result) ? null : result;
}

/**
 * Each quant of a plan's ladder placed on its own (pinned), for the per-quant badges, on the share
 * it would get once chosen. Completion sharing the machine reserves what its pinned quant needs
 * (shareBudgets), so a quant that needs more than the current pick (a Q4_K_M on the CPU, held
 * twice, against a Q8_0) is not shown as too big; chat, or a slot alone, keeps its share.
 */
export function pinnedSelections(plan: SlotPlan, hardware: HardwareProfile, policy: QuantPolicy): Map<string, SelectionResult> {
  const out = new Map<string, SelectionResult>();
  const { ladder, budgets } = plan;
  if (!ladder || !budgets) return out;
  for (const q of ladder.quants) {
    const share = plan.slot === "completion" && plan.shared ? shareBudgets(hardware, policy, { ladder, context: plan.context, pinQuant: q.quant }).completion : budgets;
    out.set(q.quant, selectModel(ladder, hardware, plan.context, policy, { budgets: share, pinQuant: q.quant }));
  }
  return out;
}
