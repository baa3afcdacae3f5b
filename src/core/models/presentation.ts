/**
 * Text for model choice: QuickPick rows, the hardware report, the CLI's readable output, download
 * progress and the messages that point at "Local Code: Select Model". Pure, so every string the
 * user reads about models is tested without VS Code.
 */
import type { LicenceOffer } from "./licenceOffer";
import type { CatalogModel, Role } from "./catalogSchema";
import type { HardwareProfile, MemoryBudgets } from "./hardwareProfile";
import type { SlotPlan } from "./modelPlan";
import { DEFAULT_CPU_BANDWIDTH_BYTES_PER_SECOND } from "./autoChoice";
import { nominalBits } from "./quantTypes";
import {
  formatGiB,
  isNoFit,
  type Candidate,
  type ModelLadder,
  type ModelSelection,
  type SelectionResult,
} from "./selectModel";
import type { HardwareInfo } from "../engine/types";

/** Command ids and titles, defined once (package.json must match; the unit test checks once declared). */
export const MODEL_COMMANDS = {
  selectModel: { id: "localCode.selectModel", title: "Select Model" },
  showHardware: { id: "localCode.showHardware", title: "Show Hardware and Model Choice" },
} as const;

/** globalState key: the user answered "Not now" to the first-run download prompt. */
export const FIRST_RUN_DISMISSED_KEY = "localCode.firstRunDownload.dismissed";

const GiB = 1024 ** 3;

/** File sizes the way Hugging Face lists them (decimal): "986 MB", "1.65 GB", "430 kB". */
export function formatSize(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  return bytes >= 1e6 ? `${Math.round(bytes / 1e6)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

/** Whole decimal megabytes: "1647 MB". */
export function formatMB(bytes: number): string {
  return `${Math.round(bytes / 1e6)} MB`;
}

/** A catalog display name without its parenthesised note: "Qwen2.5-Coder 1.5B (base, FIM)" -> "Qwen2.5-Coder 1.5B". */
export function shortModelName(model: Pick<CatalogModel, "displayName">): string {
  return model.displayName.replace(/\s*\([^)]*\)\s*$/, "").trim() || model.displayName;
}

export interface QualityInfo {
  /** best measured PPL / this PPL x 100 (100 = the best measured quant); null when not measured. */
  percent: number | null;
  ppl: number | null;
  bestPpl: number | null;
  bits: number | null;
  text: string;
}

/**
 * Quality relative to the best quant of the ladder. Where perplexity was measured on the file,
 * accuracy % = PPL(best) / PPL(quant) x 100 (the ThomasBaruzier table's definition, with the best
 * measured file standing in for F16); otherwise only the nominal bits are known.
 */
export function qualityRelativeToBest(ladder: Pick<ModelLadder, "quants">, quant: string): QualityInfo {
  const q = ladder.quants.find((x) => x.quant === quant);
  const bits = nominalBits(quant);
  const measured = ladder.quants.map((x) => x.ppl).filter((p): p is number => p !== null);
  const bestPpl = measured.length > 0 ? Math.min(...measured) : null;
  if (!q || q.ppl === null || bestPpl === null) {
    return {
      percent: null,
      ppl: null,
      bestPpl,
      bits,
      text: bits === null ? "quality not measured" : `${bits}-bit, PPL not measured`,
    };
  }
  const percent = (bestPpl / q.ppl) * 100;
  const text =
    q.ppl === bestPpl
      ? `best measured quality (PPL ${q.ppl.toFixed(2)})`
      : `${percent.toFixed(1)} % of best quality (PPL ${q.ppl.toFixed(2)} vs ${bestPpl.toFixed(2)})`;
  return { percent, ppl: q.ppl, bestPpl, bits, text };
}

export type FitKind = "gpu" | "partial" | "cpu" | "none";

export interface FitBadge {
  kind: FitKind;
  /** A codicon reference for QuickPick labels. */
  icon: string;
  text: string;
}

/** Where one quant would run on this machine, from its pinned selection. */
export function fitBadge(result: SelectionResult | undefined, blockCount: number): FitBadge {
  if (!result || isNoFit(result)) return { kind: "none", icon: "$(error)", text: "too big for this machine" };
  if (result.placement === "gpu") return { kind: "gpu", icon: "$(check)", text: "fits in VRAM" };
  if (result.placement === "partial")
    return {
      kind: "partial",
      icon: "$(split-horizontal)",
      text: `partial: ${result.gpuLayers}/${blockCount} layers on the GPU`,
    };
  return { kind: "cpu", icon: "$(server)", text: "CPU (fits in RAM)" };
}

export interface QuantRow {
  quant: string;
  label: string;
  description: string;
  detail: string;
  recommended: boolean;
  downloaded: boolean;
  fit: FitKind;
}

export interface QuantRowsInput {
  ladder: ModelLadder;
  /** Each quant's own selection on this slot's share of the machine (pinnedSelections). */
  pinned: ReadonlyMap<string, SelectionResult>;
  /** The quant the policy picks (starred and listed first); null when none fits. */
  recommended: string | null;
  downloaded: ReadonlySet<string>;
}

const FIT_ORDER: Record<FitKind, number> = { gpu: 0, partial: 1, cpu: 2, none: 3 };

/**
 * The quant QuickPick: the recommended quant first, then what fits (best placement first, larger
 * files first within a placement), then what does not fit.
 */
export function quantRows(input: QuantRowsInput): QuantRow[] {
  const rows = input.ladder.quants.map((q) => {
    const pinned = input.pinned.get(q.quant);
    const badge = fitBadge(pinned, input.ladder.arch.blockCount);
    const quality = qualityRelativeToBest(input.ladder, q.quant);
    const recommended = q.quant === input.recommended;
    const downloaded = input.downloaded.has(q.quant);
    const needs = pinned
      ? isNoFit(pinned)
        ? pinned.candidates.find((c) => c.quant === q.quant)?.totalBytes
        : pinned.estimate.totalBytes
      : undefined;
    const detail = [
      `${badge.icon} ${badge.text}`,
      needs !== undefined ? `needs ${formatGiB(needs)}` : null,
      downloaded ? "$(pass-filled) downloaded" : null,
      recommended ? "recommended for this machine" : null,
    ]
      .filter((s): s is string => s !== null)
      .join(" · ");
    return {
      quant: q.quant,
      label: `${recommended ? "$(star-full) " : ""}${q.quant}`,
      description: `${formatSize(q.sizeBytes)} · ${quality.text}`,
      detail,
      recommended,
      downloaded,
      fit: badge.kind,
      sizeBytes: q.sizeBytes,
    };
  });
  rows.sort(
    (a, b) =>
      Number(b.recommended) - Number(a.recommended) || FIT_ORDER[a.fit] - FIT_ORDER[b.fit] || b.sizeBytes - a.sizeBytes,
  );
  return rows.map(({ sizeBytes: _size, ...row }) => row);
}

export interface ModelRowInput {
  model: CatalogModel;
  /** The policy's pick for this model on the slot's share, or null/NoFit. */
  selection: SelectionResult | null;
  isAuto: boolean;
  downloadedCount: number;
}

/** One catalog model in the model QuickPick. */
export function modelRow(input: ModelRowInput): { label: string; description: string; detail: string } {
  const { model, selection } = input;
  const tags = [model.id];
  if (input.isAuto) tags.push("auto's choice here");
  if (model.license.requiresAcceptance) tags.push("licence must be accepted on Hugging Face");
  else if (model.license.id && model.license.id !== "apache-2.0" && model.license.id !== "mit")
    tags.push(`licence ${model.license.id}`);
  let pick: string;
  if (!selection) pick = "no downloadable file";
  else if (isNoFit(selection)) pick = "nothing fits this machine";
  else
    pick = `best fit here: ${selection.quant}, ${formatSize(selection.sizeBytes)}, ${placementWord(selection.placement, selection.gpuLayers, model.arch.blockCount)}`;
  const downloaded = input.downloadedCount > 0 ? ` · ${input.downloadedCount} downloaded` : "";
  return { label: model.displayName, description: tags.join(" · "), detail: `${pick}${downloaded}` };
}

function placementWord(placement: "gpu" | "partial" | "cpu", gpuLayers: number, blockCount: number): string {
  if (placement === "gpu") return "GPU";
  if (placement === "partial") return `partial ${gpuLayers}/${blockCount}`;
  return "CPU";
}

/** The resolver's problem when the pick is not on disk yet (status bar, chat, log). */
export function notDownloadedProblem(modelId: string, quant: string, sizeBytes: number): string {
  return `Model ${modelId} (${quant}, ${formatMB(sizeBytes)}) is not downloaded yet — run Local Code: Select Model`;
}

/** The one first-run notification. */
export function firstRunPromptText(model: Pick<CatalogModel, "displayName">, quant: string, sizeBytes: number): string {
  return `Local Code Assistant: download the recommended completion model ${shortModelName(model)} ${quant} (${formatSize(sizeBytes)})?`;
}

/**
 * Decimal megabytes for a transfer: whole MB from 10 MB up ("812"), one decimal below ("0.5"), so
 * small files do not read "0 / 0 MB". Bytes done round down, a total rounds to nearest.
 */
function transferMB(bytes: number, round: (x: number) => number = Math.floor): string {
  return bytes >= 10e6 ? String(round(bytes / 1e6)) : (round(bytes / 1e5) / 10).toFixed(1);
}

/**
 * "49 % · 812 / 1647 MB · 11.2 MB/s · 1 min 15 s left", and " · resumed at 500 MB" after a resume
 * (parts that are unknown are left out).
 */
export function downloadProgressText(
  receivedBytes: number,
  totalBytes: number | null,
  bytesPerSecond: number | null,
  resumedFromBytes = 0,
): string {
  const parts =
    totalBytes !== null && totalBytes > 0
      ? [
          `${Math.min(100, Math.floor((receivedBytes / totalBytes) * 100))} %`,
          `${transferMB(receivedBytes)} / ${transferMB(totalBytes, Math.round)} MB`,
        ]
      : [`${transferMB(receivedBytes)} MB`];
  if (bytesPerSecond !== null && bytesPerSecond > 0) {
    parts.push(`${(bytesPerSecond / 1e6).toFixed(1)} MB/s`);
    if (totalBytes !== null && totalBytes > receivedBytes)
      parts.push(`${formatDuration((totalBytes - receivedBytes) / bytesPerSecond)} left`);
  }
  if (resumedFromBytes > 0) parts.push(`resumed at ${transferMB(resumedFromBytes)} MB`);
  return parts.join(" · ");
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/**
 * Transfer speed over a sliding window of samples (bytes so far, time in ms). The first sample
 * is the starting point, so bytes resumed from a partial file do not count as speed.
 */
export class RateMeter {
  private readonly samples: { bytes: number; at: number }[] = [];
  constructor(private readonly windowMs = 5000) {}

  sample(bytes: number, atMs: number): number | null {
    this.samples.push({ bytes, at: atMs });
    while (this.samples.length > 2 && atMs - this.samples[1].at >= this.windowMs) this.samples.shift();
    const first = this.samples[0];
    const elapsed = atMs - first.at;
    return elapsed > 0 ? ((bytes - first.bytes) * 1000) / elapsed : null;
  }
}

/**
 * "weights 1.53 GiB (0.86 GiB of it repacked by the CPU) + KV 0.65 GiB + compute 0.30 GiB + margin 0.29 GiB"
 * (no repack note when there is none): the repacked copy replaces its droppable mmapped source, so it is not added.
 */
function memoryParts(e: ModelSelection["estimate"]): string {
  const repack = e.repackBytes > 0 ? ` (${gib(e.repackBytes)} of it repacked by the CPU)` : "";
  return `weights ${gib(e.weightsBytes)}${repack} + KV ${gib(e.kvCacheBytes)} + compute ${gib(e.computeBytes)} + margin ${gib(e.marginBytes)}`;
}

function gib(bytes: number): string {
  return `${(bytes / GiB).toFixed(2)} GiB`;
}

const BACKEND_NAMES: Record<HardwareInfo["gpu"], string> = {
  cuda: "CUDA",
  vulkan: "Vulkan",
  metal: "Metal",
  none: "CPU only",
};

/** `local-code hardware` without --json. */
export function formatHardwareText(info: HardwareInfo): string {
  const lines: [string, string][] = [
    ["Backend", `${BACKEND_NAMES[info.gpu]} (requested: ${info.requestedGpu})`],
    ["GPU", info.gpuDeviceNames.length > 0 ? info.gpuDeviceNames.join(", ") : "none"],
  ];
  if (info.gpu !== "none") {
    const unified = info.vram.unifiedSize > 0 ? ` (unified memory: ${gib(info.vram.unifiedSize)} shared with RAM)` : "";
    lines.push(["VRAM", `${gib(info.vram.free)} free of ${gib(info.vram.total)}${unified}`]);
  }
  lines.push(["RAM", `${gib(info.ram.free)} free of ${gib(info.ram.total)}`]);
  lines.push(["Swap", info.swap.total > 0 ? `${gib(info.swap.free)} free of ${gib(info.swap.total)}` : "none"]);
  lines.push([
    "CPU",
    `${info.cpu.model} (${info.cpu.physicalCores} physical / ${info.cpu.logicalCores} logical cores)`,
  ]);
  lines.push(["Platform", `${info.platform} ${info.arch}`]);
  if (info.fallbackReason) lines.push(["Fallback", info.fallbackReason]);
  const width = Math.max(...lines.map(([k]) => k.length)) + 2;
  return `${lines.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join("\n")}\n`;
}

export type SelectOutput = {
  model: string;
  policy: string;
  contextSize: number;
  sequences: number;
  hardware: HardwareProfile;
  hardwareSource: string;
};

/** `local-code select` without --json. */
export function formatSelectionText(result: SelectionResult, about: SelectOutput): string {
  const hw = about.hardware;
  const machine =
    hw.gpu === "none"
      ? `CPU only, ${gib(hw.ramFreeBytes)} free RAM`
      : `${hw.gpu}, ${gib(hw.vramFreeBytes)} free VRAM, ${gib(hw.ramFreeBytes)} free RAM${hw.unifiedMemory ? " (unified)" : ""}`;
  const out = [
    `Model:    ${about.model}`,
    `Machine:  ${machine} (${about.hardwareSource})`,
    `Context:  ${about.contextSize} tokens × ${about.sequences} sequence${about.sequences === 1 ? "" : "s"}, policy ${about.policy}`,
    "",
  ];
  if (isNoFit(result)) {
    out.push(`No pick. ${result.reason}`);
  } else {
    const where =
      result.placement === "partial"
        ? `partial offload, ${result.gpuLayers} layers on the GPU`
        : result.placement === "gpu"
          ? "fully on the GPU"
          : "on the CPU";
    out.push(`Pick:     ${result.quant} (${result.file}, ${formatSize(result.sizeBytes)}), ${where}`);
    out.push(`Why:      ${result.reason}`);
    const e = result.estimate;
    out.push(`Memory:   ${memoryParts(e)} = ${gib(e.totalBytes)} of ${gib(result.budgetBytes)}`);
  }
  out.push("", candidateTable(result.candidates, isNoFit(result) ? null : result.quant, "text"));
  return `${out.join("\n")}\n`;
}

/** The candidate table as aligned text or as a markdown table. */
export function candidateTable(
  candidates: readonly Candidate[],
  picked: string | null,
  style: "text" | "markdown",
  downloaded?: ReadonlySet<string>,
): string {
  const header = ["quant", "file size", "PPL", "needs", "fits", "where"];
  if (downloaded) header.push("on disk");
  const rows = candidates.map((c) => {
    const row = [
      `${c.quant === picked ? (style === "markdown" ? "**" + c.quant + "**" : `* ${c.quant}`) : style === "text" ? `  ${c.quant}` : c.quant}`,
      formatSize(c.sizeBytes),
      c.ppl === null ? "–" : c.ppl.toFixed(2),
      gib(c.totalBytes),
      c.fits ? "yes" : "no",
      c.fits ? c.placement : "–",
    ];
    if (downloaded) row.push(downloaded.has(c.quant) ? "yes" : "");
    return row;
  });
  if (style === "markdown") {
    const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
    return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
  }
  const all = [header.map((h, i) => (i === 0 ? `  ${h}` : h)), ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export interface SlotReport {
  plan: SlotPlan;
  /** What the resolver will load: a file path, or the problem. */
  status: { kind: "ready"; path: string; quant: string; note: string | null } | { kind: "problem"; text: string };
  downloaded: ReadonlySet<string>;
}

export interface HardwareReportInput {
  info: HardwareInfo;
  profile: HardwareProfile;
  measuredAt: Date;
  policy: string;
  slots: SlotReport[];
  /** The CPU bandwidth auto's speed floor used; null/absent: not measured (the default is assumed). */
  cpuBandwidth?: { bytesPerSecond: number; measuredAt: string } | null;
  /** auto picks that wait on a licence (licenceOffer.ts), shown in their slot. */
  licenceOffers?: readonly LicenceOffer[];
  /** Inline completion's prompt window now (localCode.completion.promptTokens) and why. */
  promptBudget?: { tokens: number; why: string; samples: number } | null;
}

function budgetText(b: MemoryBudgets | null): string {
  if (!b) return "–";
  return b.gpuBytes > 0
    ? `VRAM ${gib(b.gpuBytes)}, RAM ${gib(b.ramBytes)}${b.partialOffload ? "" : " (no partial offload)"}`
    : `RAM ${gib(b.ramBytes)}`;
}

/** The "Show Hardware" document: what was detected, and per slot what is picked and why. */
export function hardwareReportMarkdown(input: HardwareReportInput): string {
  const { info, profile } = input;
  const md: string[] = [
    "# Local Code Assistant: hardware and model choice",
    "",
    "## Detected",
    "",
    "| | |",
    "| --- | --- |",
  ];
  md.push(`| Backend | ${BACKEND_NAMES[info.gpu]} (requested: ${info.requestedGpu}) |`);
  md.push(
    `| GPU devices | ${info.gpuDeviceNames.length > 0 ? info.gpuDeviceNames.map(escapeCell).join(", ") : "none"} |`,
  );
  if (info.gpu !== "none")
    md.push(
      `| VRAM | ${gib(info.vram.free)} free of ${gib(info.vram.total)}${profile.unifiedMemory ? " (unified memory)" : ""} |`,
    );
  md.push(`| RAM | ${gib(info.ram.free)} free of ${gib(info.ram.total)} |`);
  md.push(
    `| CPU | ${escapeCell(info.cpu.model)}: ${info.cpu.physicalCores} physical / ${info.cpu.logicalCores} logical cores |`,
  );
  md.push(`| Platform | ${info.platform} ${info.arch} |`);
  md.push(`| Fallback | ${info.fallbackReason ? escapeCell(info.fallbackReason) : "none"} |`);
  const bw = input.cpuBandwidth;
  md.push(
    bw
      ? `| CPU memory bandwidth | ${(bw.bytesPerSecond / 1e9).toFixed(1)} GB/s (copy probe, ${bw.measuredAt.slice(0, 10)}); auto's CPU speed estimate uses ${(Math.max(bw.bytesPerSecond, DEFAULT_CPU_BANDWIDTH_BYTES_PER_SECOND) / 1e9).toFixed(1)} GB/s (the probe only raises its ${(DEFAULT_CPU_BANDWIDTH_BYTES_PER_SECOND / 1e9).toFixed(0)} GB/s default) |`
      : `| CPU memory bandwidth | not measured: auto assumes ${(DEFAULT_CPU_BANDWIDTH_BYTES_PER_SECOND / 1e9).toFixed(0)} GB/s |`,
  );
  md.push(
    "",
    `Measured ${input.measuredAt.toISOString().replace("T", " ").slice(0, 19)} UTC. Picks use **free** memory at that moment; ` +
      `the measurement is kept while models are loaded (they hold memory themselves).`,
    "",
    `Quant policy: **${input.policy}** (\`localCode.quantPolicy\`).`,
  );
  for (const slot of input.slots) {
    const p = slot.plan;
    md.push("", `## ${p.slot === "completion" ? "Completion" : "Chat"}: \`${p.setting}\``, "");
    const what =
      p.source === "path"
        ? "a file on disk"
        : p.model
          ? `${p.model.displayName} (\`${p.model.id}\`)${p.source === "auto" ? ", chosen by auto for this machine" : ""}`
          : "–";
    md.push(`- Model: ${what}`);
    md.push(`- Context: ${p.context.contextSize} tokens × ${p.context.sequences ?? 1} sequences`);
    md.push(`- Memory share: ${budgetText(p.budgets)}`);
    const pb = input.promptBudget;
    if (p.slot === "completion" && pb)
      md.push(
        `- Prompt window: **${pb.tokens} tokens**: ${escapeCell(pb.why)}${pb.samples > 0 ? ` (median of ${pb.samples} measured request${pb.samples === 1 ? "" : "s"})` : ""} (\`localCode.completion.promptTokens\`)`,
      );
    if (p.problem) {
      md.push(`- Problem: ${p.problem}`);
      continue;
    }
    const sel = p.selection;
    if (sel) {
      if (isNoFit(sel)) md.push(`- Pick: none. ${sel.reason}`);
      else {
        md.push(
          `- Pick: **${sel.quant}** (${formatSize(sel.sizeBytes)}), ${placementWord(sel.placement, sel.gpuLayers, p.ladder?.arch.blockCount ?? sel.gpuLayers)}`,
        );
        md.push(`- Why: ${sel.reason}`);
        const e = sel.estimate;
        md.push(`- Estimate: ${memoryParts(e)} = **${gib(e.totalBytes)}**`);
      }
    }
    md.push(
      slot.status.kind === "ready"
        ? `- Loads: \`${slot.status.path}\`${slot.status.note ? ` (${slot.status.note})` : ""}`
        : `- Status: ${slot.status.text}`,
    );
    for (const offer of input.licenceOffers?.filter((o) => o.slot === p.slot) ?? [])
      md.push(`- Licence: ${offer.message} **Local Code: Select Model** offers to accept it.`);
    if (sel && sel.candidates.length > 0)
      md.push(
        "",
        candidateTable(
          sel.candidates,
          isNoFit(sel) ? null : sel.quant,
          "markdown",
          p.source === "path" ? undefined : slot.downloaded,
        ),
      );
  }
  md.push(
    "",
    "Change the model with **Local Code: Select Model**. How the estimate and the policies work: docs/model-selection.md.",
    "",
  );
  return md.join("\n");
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** QuickPick label of a slot. */
export function slotLabel(slot: Role): string {
  return slot === "completion" ? "Completion model" : "Chat model";
}
