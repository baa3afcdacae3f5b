/**
 * `local-code select --model ID[:QUANT]|/path/model.gguf [--vram-free B] [--ram-free B]
 * [--gpu cuda|vulkan|metal|none] [--context N] [--sequences N] [--policy P]`: the quant the
 * extension would pick, with the estimate and every candidate. Hardware comes from the flags, and
 * what the flags leave out from the worker's detection; with --gpu and --ram-free (and
 * --vram-free for a GPU) no worker is started.
 */
import * as os from "node:os";
import * as path from "node:path";
import type { WorkerClient } from "../client/workerClient";
import { ladderForGgufFile } from "../client/ggufFile";
import { findModel, findQuant, ladderFromCatalog, loadCatalog, parseModelOverride } from "../core/models/catalog";
import type { Role } from "../core/models/catalogSchema";
import { hardwareProfileFromInfo, HardwareProfileSchema, type HardwareProfile } from "../core/models/hardwareProfile";
import { autoChoiceJson, autoChoiceText, type AutoChoiceJson } from "../core/models/autoChoiceView";
import { autoChoiceFor } from "../core/models/modelPlan";
import { formatSelectionText, type SelectOutput } from "../core/models/presentation";
import {
  QuantPolicySchema,
  selectModel,
  type ModelLadder,
  type QuantPolicy,
  type SelectionResult,
} from "../core/models/selectModel";
import { intOption, requiredOption, UsageError, type ParsedArgs } from "./args";

/** Options `select` reads besides the shared ones (model, context, gpu). */
export const SELECT_OPTIONS = [
  "vram-free",
  "vram-total",
  "ram-free",
  "policy",
  "sequences",
  "cpu-bandwidth",
  "accept-licence",
] as const;

export const SELECT_USAGE =
  "  select   --model ID[:QUANT]|PATH [--vram-free BYTES] [--ram-free BYTES] [--gpu cuda|vulkan|metal|none]\n" +
  "           [--context N] [--sequences N] [--policy quality|balanced|speed]\n" +
  "                                           the quant that fits this (or the given) machine, and why\n" +
  "  select   --model auto [--gpu ...] [--vram-free B] [--vram-total B] [--ram-free B] [--policy P]\n" +
  "           [--cpu-bandwidth BYTES_PER_S] [--accept-licence ID,...]\n" +
  "                                           the completion + chat pair the extension's auto picks\n";

/** Context sizes the extension uses by default (localCode.<slot>.contextSize). */
const DEFAULT_CONTEXT: Record<Role, number> = { completion: 4096, chat: 8192 };

type HardwareGpu = HardwareProfile["gpu"];

function gpuFlag(args: ParsedArgs): HardwareGpu | null {
  const raw = args.options.get("gpu");
  if (raw === undefined || raw === "auto") return null;
  if (raw === "cpu" || raw === "none") return "none";
  if (raw === "cuda" || raw === "vulkan" || raw === "metal") return raw;
  throw new UsageError(`--gpu must be one of cuda, vulkan, metal, none (or auto to detect), got "${raw}".`);
}

function bytesOption(args: ParsedArgs, name: string): number | null {
  const raw = args.options.get(name);
  if (raw === undefined) return null;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number of bytes, got "${raw}".`);
  return Number(raw);
}

interface ModelChoice {
  ladder: ModelLadder;
  pinQuant: string | undefined;
  role: Role | null;
  label: string;
}

async function modelChoice(raw: string): Promise<ModelChoice> {
  let override;
  try {
    const looksLikeFile = raw.includes("/") || raw.includes("\\") || raw.toLowerCase().endsWith(".gguf");
    override = parseModelOverride(looksLikeFile ? path.resolve(raw) : raw);
  } catch (error) {
    throw new UsageError(`--model: ${(error as Error).message}`);
  }
  if (override.kind === "auto") throw new UsageError(`--model auto is handled by runSelect; got here with "${raw}".`);
  if (override.kind === "path") {
    const { ladder } = await ladderForGgufFile(override.path);
    return { ladder, pinQuant: ladder.quants[0].quant, role: null, label: override.path };
  }
  const model = findModel(override.id);
  if (!model) throw new UsageError(`Unknown model "${override.id}". Catalog ids: ${catalogIds()}`);
  const ladder = ladderFromCatalog(model);
  if (ladder.quants.length === 0) throw new UsageError(`${model.id} has no downloadable quant in the catalog.`);
  let pinQuant: string | undefined;
  if (override.quant !== null) {
    const quant = findQuant(model, override.quant);
    const usable = ladder.quants.map((q) => q.quant);
    if (!quant || !usable.includes(quant.quant))
      throw new UsageError(
        `${model.id} has no downloadable quant "${override.quant}". Available: ${usable.join(", ")}`,
      );
    pinQuant = quant.quant;
  }
  return { ladder, pinQuant, role: model.roles[0], label: pinQuant ? `${model.id}:${pinQuant}` : model.id };
}

function catalogIds(): string {
  return loadCatalog()
    .models.map((m) => `${m.id} (${m.roles.join("+")})`)
    .join(", ");
}

/** Every flag is checked before the worker starts or a file is read. */
function readFlags(args: ParsedArgs) {
  const gpu = gpuFlag(args);
  const vramFree = bytesOption(args, "vram-free");
  const ramFree = bytesOption(args, "ram-free");
  const policyRaw = args.options.get("policy") ?? "balanced";
  const policy = QuantPolicySchema.safeParse(policyRaw);
  if (!policy.success)
    throw new UsageError(`--policy must be one of ${QuantPolicySchema.options.join(", ")}, got "${policyRaw}".`);
  const sequences = intOption(args, "sequences", 1, 1);
  const context = args.options.has("context") ? intOption(args, "context", 0, 1) : null;
  if (gpu === "none" && vramFree !== null && vramFree > 0)
    throw new UsageError("--vram-free needs a GPU: drop it or pass --gpu cuda|vulkan|metal.");
  const vramTotal = bytesOption(args, "vram-total");
  if (vramTotal !== null && vramFree !== null && vramTotal < vramFree)
    throw new UsageError(`--vram-total (${vramTotal}) is less than --vram-free (${vramFree}).`);
  const cpuBandwidth = bytesOption(args, "cpu-bandwidth");
  if (cpuBandwidth === 0) throw new UsageError("--cpu-bandwidth must be more than 0 bytes/s.");
  const acceptedLicences = (args.options.get("accept-licence") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    gpu,
    vramFree,
    vramTotal,
    ramFree,
    cpuBandwidth,
    acceptedLicences,
    policy: policy.data as QuantPolicy,
    sequences,
    context,
    model: requiredOption(args, "model"),
  };
}

async function hardwareFor(
  flags: ReturnType<typeof readFlags>,
  args: ParsedArgs,
  makeClient: (args: ParsedArgs) => WorkerClient,
): Promise<{ profile: HardwareProfile; source: string }> {
  const complete = flags.gpu !== null && flags.ramFree !== null && (flags.gpu === "none" || flags.vramFree !== null);
  if (complete) {
    const vram = flags.gpu === "none" ? 0 : flags.vramFree!;
    const profile = HardwareProfileSchema.parse({
      gpu: flags.gpu,
      vramTotalBytes: flags.gpu === "none" ? 0 : (flags.vramTotal ?? vram),
      vramFreeBytes: vram,
      ramTotalBytes: flags.ramFree,
      ramFreeBytes: flags.ramFree,
      // Metal means Apple silicon: the GPU's memory is the RAM.
      unifiedMemory: flags.gpu === "metal",
      cpuCores: Math.max(1, os.availableParallelism()),
    });
    return { profile, source: "from flags" };
  }
  // The worker's own --gpu takes auto|cuda|vulkan|metal|cpu; "none" means the CPU backend.
  const options = new Map(args.options);
  if (flags.gpu === "none") options.set("gpu", "cpu");
  else if (flags.gpu === null) options.set("gpu", "auto");
  const client = makeClient({ ...args, options });
  let detected: HardwareProfile;
  try {
    detected = hardwareProfileFromInfo(await client.hardware());
  } finally {
    await client.stop();
  }
  const given = [flags.gpu !== null, flags.vramFree !== null, flags.ramFree !== null].some(Boolean);
  const gpu = flags.gpu ?? detected.gpu;
  const vramFree = gpu === "none" ? 0 : (flags.vramFree ?? detected.vramFreeBytes);
  const profile: HardwareProfile = {
    ...detected,
    gpu,
    vramFreeBytes: vramFree,
    vramTotalBytes: gpu === "none" ? 0 : Math.max(flags.vramTotal ?? detected.vramTotalBytes, vramFree),
    ramFreeBytes: flags.ramFree ?? detected.ramFreeBytes,
    ramTotalBytes: Math.max(detected.ramTotalBytes, flags.ramFree ?? 0),
    unifiedMemory: gpu === "none" ? false : flags.gpu === "metal" ? true : detected.unifiedMemory,
  };
  return { profile, source: given ? "detected, with flags applied" : "detected" };
}

export type SelectCliOutput = SelectionResult & SelectOutput;

/**
 * Runs `select`: returns the JSON object the CLI prints (selectModel's result plus what it was
 * computed for). Usage errors (a bad flag, an unknown id) throw UsageError.
 */
export async function runSelect(
  args: ParsedArgs,
  makeClient: (args: ParsedArgs) => WorkerClient,
): Promise<SelectCliOutput | SelectAutoOutput> {
  const flags = readFlags(args);
  if (flags.model.trim().toLowerCase() === "auto") {
    const { profile, source } = await hardwareFor(flags, args, makeClient);
    const choice = autoChoiceFor(profile, flags.policy, {
      sequences: args.options.has("sequences") ? flags.sequences : undefined,
      ...(flags.context !== null ? { completionContext: flags.context, chatContext: flags.context } : {}),
      cpuBandwidthBytesPerSecond: flags.cpuBandwidth,
      acceptedLicences: flags.acceptedLicences,
    });
    return { ...autoChoiceJson(choice), policy: flags.policy, hardware: profile, hardwareSource: source };
  }
  const choice = await modelChoice(flags.model);
  const contextSize = flags.context ?? (choice.role ? DEFAULT_CONTEXT[choice.role] : DEFAULT_CONTEXT.completion);
  const { profile, source } = await hardwareFor(flags, args, makeClient);
  const result = selectModel(choice.ladder, profile, { contextSize, sequences: flags.sequences }, flags.policy, {
    pinQuant: choice.pinQuant,
  });
  return {
    ...result,
    model: choice.label,
    policy: flags.policy,
    contextSize,
    sequences: flags.sequences,
    hardware: profile,
    hardwareSource: source,
  };
}

export type SelectAutoOutput = AutoChoiceJson & {
  policy: QuantPolicy;
  hardware: HardwareProfile;
  hardwareSource: string;
};

/** The readable form of runSelect's output. */
export function selectText(output: SelectCliOutput | SelectAutoOutput): string {
  if ("completion" in output)
    return autoChoiceText(output) + `Hardware (${output.hardwareSource}): ${JSON.stringify(output.hardware)}\n`;
  return formatSelectionText(output, output);
}
