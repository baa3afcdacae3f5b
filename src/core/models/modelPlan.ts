/**
 * From settings to picks: which catalog model and quant each slot gets when completion and chat
 * share the machine ("auto": the joint choice of autoChoice.ts; explicit settings: selectForSlots). Pure: the caller detects the
 * hardware, reads the headers of .gguf path settings and checks which files are downloaded.
 */
import { ladderFromCatalog, ModelOverrideError, parseModelOverride, resolveCatalogOverride } from "./catalog";
import type { CatalogModel, Role } from "./catalogSchema";
import type { ContextSpecInput } from "./fitEstimate";
import {
  autoCandidates,
  chooseAuto,
  fixedCandidate,
  type AutoChoice,
  type AutoChoiceOptions,
  type SlotCandidates,
} from "./autoChoice";
import type { HardwareProfile, MemoryBudgets } from "./hardwareProfile";
import {
  isNoFit,
  selectForSlots,
  selectModel,
  shareBudgets,
  type ModelLadder,
  type QuantPolicy,
  type SelectionResult,
  type SlotRequest,
} from "./selectModel";

export interface SlotInput {
  /** The raw setting: "auto", "id", "id:QUANT" or an absolute .gguf path. */
  setting: string;
  contextSize: number;
  /** For a path setting: the one-quant ladder from the file's header, or why it could not be read. */
  fileLadder?: ModelLadder | Error;
}

export interface PlanOptions extends AutoChoiceOptions {
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
  /** Chosen by the joint auto choice: `budgets` is already the share this slot keeps. */
  joint?: boolean;
  /** Why nothing can be selected (a bad setting, an unreadable file); null otherwise. */
  problem: string | null;
}

export type SlotPlans = Record<Role, SlotPlan | null>;

interface Prepared {
  plan: SlotPlan;
  request: SlotRequest | null;
  /** "auto": chosen jointly with the other slot. */
  auto?: boolean;
}

function prepare(slot: Role, input: SlotInput, hardware: HardwareProfile, options: PlanOptions): Prepared {
  const context: ContextSpecInput = {
    contextSize: input.contextSize,
    sequences: options.sequences ?? 1,
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.flashAttention !== undefined ? { flashAttention: options.flashAttention } : {}),
  };
  const base: SlotPlan = {
    slot,
    setting: input.setting,
    source: "auto",
    model: null,
    ladder: null,
    pinQuant: null,
    context,
    selection: null,
    budgets: null,
    shared: false,
    problem: null,
  };
  let override;
  try {
    override = parseModelOverride(input.setting);
  } catch (error) {
    return { plan: { ...base, problem: (error as Error).message }, request: null };
  }
  if (override.kind === "path") {
    const plan: SlotPlan = { ...base, source: "path" };
    if (input.fileLadder === undefined)
      return { plan: { ...plan, problem: `The header of ${override.path} was not read.` }, request: null };
    if (input.fileLadder instanceof Error)
      return { plan: { ...plan, problem: input.fileLadder.message }, request: null };
    const ladder = input.fileLadder;
    const pinQuant = ladder.quants[0]?.quant ?? null;
    return { plan: { ...plan, ladder, pinQuant }, request: { ladder, context, pinQuant: pinQuant ?? undefined } };
  }
  let model: CatalogModel;
  let pinQuant: string | null = null;
  if (override.kind === "auto") {
    // The joint choice (planSlots) fills in the model; the request carries no ladder yet.
    return { plan: base, request: null, auto: true };
  } else {
    try {
      const resolved = resolveCatalogOverride(override, slot);
      model = resolved.model;
      pinQuant = resolved.quant?.quant ?? null;
    } catch (error) {
      if (error instanceof ModelOverrideError)
        return {
          plan: { ...base, source: "catalog", problem: `localCode.${slot}.model: ${error.message}` },
          request: null,
        };
      throw error;
    }
  }
  const ladder = ladderFromCatalog(model);
  const plan: SlotPlan = { ...base, source: override.kind, model, ladder, pinQuant };
  if (ladder.quants.length === 0)
    return { plan: { ...plan, problem: `${model.id} has no downloadable file in the catalog.` }, request: null };
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
  if (completion?.auto || chat?.auto) return planJointly(hardware, policy, completion, chat, options);
  const picks = selectForSlots(hardware, policy, {
    completion: completion?.request ?? undefined,
    chat: chat?.request ?? undefined,
  });
  const shared = Boolean(completion?.request && chat?.request);
  const finish = (
    p: Prepared | null,
    selection: SelectionResult | null,
    budgets: MemoryBudgets | null,
  ): SlotPlan | null => (p === null ? null : p.request === null ? p.plan : { ...p.plan, selection, budgets, shared });
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
export function selectAmongDownloaded(
  plan: SlotPlan,
  downloaded: ReadonlySet<string>,
  hardware: HardwareProfile,
  policy: QuantPolicy,
): SelectionResult | null {
  if (!plan.ladder || !plan.budgets) return null;
  const quants = plan.ladder.quants.filter(
    (q) => downloaded.has(q.quant) && (plan.pinQuant === null || q.quant === plan.pinQuant),
  );
  if (quants.length === 0) return null;
  const result = selectModel({ ...plan.ladder, quants }, hardware, plan.context, policy, { budgets: plan.budgets });
  return isNoFit(result) ? null : result;
}

/**
 * Each quant of a plan's ladder placed on its own (pinned), for the per-quant badges, on the share
 * it would get once chosen. Completion sharing the machine reserves what its pinned quant needs
 * (shareBudgets), so a quant that needs more than the current pick (a Q8_0 against a Q4_K_M)
 * is not shown as too big; chat, or a slot alone, keeps its share.
 */
export function pinnedSelections(
  plan: SlotPlan,
  hardware: HardwareProfile,
  policy: QuantPolicy,
): Map<string, SelectionResult> {
  const out = new Map<string, SelectionResult>();
  const { ladder, budgets } = plan;
  if (!ladder || !budgets) return out;
  for (const q of ladder.quants) {
    const share =
      plan.slot === "completion" && plan.shared && !plan.joint
        ? shareBudgets(hardware, policy, { ladder, context: plan.context, pinQuant: q.quant }).completion
        : budgets;
    out.set(q.quant, selectModel(ladder, hardware, plan.context, policy, { budgets: share, pinQuant: q.quant }));
  }
  return out;
}

function slotCandidates(role: Role, p: Prepared | null, options: PlanOptions): SlotCandidates {
  if (!p) return { candidates: [], context: { contextSize: 1 } };
  if (p.auto) return { candidates: autoCandidates(role, options), context: p.plan.context };
  if (!p.request) return { candidates: [], context: p.plan.context };
  const r = p.request;
  return {
    candidates: [fixedCandidate(p.plan.model?.id ?? p.plan.setting.trim(), p.plan.model, r.ladder, r.pinQuant)],
    context: r.context,
  };
}

/** At least one slot is "auto": both are planned by the joint choice (chooseAuto). */
function planJointly(
  hardware: HardwareProfile,
  policy: QuantPolicy,
  completion: Prepared | null,
  chat: Prepared | null,
  options: PlanOptions,
): SlotPlans {
  const choice = chooseAuto(
    hardware,
    policy,
    { completion: slotCandidates("completion", completion, options), chat: slotCandidates("chat", chat, options) },
    options,
  );
  const shared = Boolean(choice.completion && choice.chat);
  const finish = (p: Prepared | null, slot: AutoChoice["completion"]): SlotPlan | null => {
    if (p === null) return null;
    if (!slot)
      return p.auto ? { ...p.plan, problem: `The catalog has no usable ${p.plan.slot} model for auto.` } : p.plan;
    return {
      ...p.plan,
      model: slot.model,
      ladder: slot.ladder,
      selection: slot.selection,
      budgets: slot.budgets,
      shared,
      joint: true,
    };
  };
  return { completion: finish(completion, choice.completion), chat: finish(chat, choice.chat) };
}

/** Context sizes and KV sequences the extension uses by default (settings defaults; the worker's 2 sequences). */
export const AUTO_DEFAULTS = { completionContext: 4096, chatContext: 8192, sequences: 2 } as const;

/**
 * The joint auto choice for a machine with the extension's defaults: what `select --model auto`
 * prints and what the extension plans when both settings are "auto".
 */
export function autoChoiceFor(
  hardware: HardwareProfile,
  policy: QuantPolicy,
  options: AutoChoiceOptions & { completionContext?: number; chatContext?: number; sequences?: number } = {},
): AutoChoice {
  const sequences = options.sequences ?? AUTO_DEFAULTS.sequences;
  return chooseAuto(
    hardware,
    policy,
    {
      completion: {
        candidates: autoCandidates("completion", options),
        context: { contextSize: options.completionContext ?? AUTO_DEFAULTS.completionContext, sequences },
      },
      chat: {
        candidates: autoCandidates("chat", options),
        context: { contextSize: options.chatContext ?? AUTO_DEFAULTS.chatContext, sequences },
      },
    },
    options,
  );
}
