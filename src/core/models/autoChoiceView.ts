/**
 * The joint auto choice as `select --model auto --json` prints it (and as tests compare it with the
 * extension's plan), plus its readable text and the hardware report's lines.
 */
import * as z from "zod";
import type { AutoChoice, SlotChoice } from "./autoChoice";
import { ModelSelectionSchema, formatGiB } from "./selectModel";

/** One slot's pick: the fields of `select`'s own answer it shares, with the model and its CPU speed. */
export const AutoSlotJsonSchema = ModelSelectionSchema.pick({
  quant: true,
  file: true,
  sizeBytes: true,
  placement: true,
  gpuLayers: true,
  estimate: true,
  reason: true,
}).extend({
  id: z.string(),
  /** Generation speed estimated from CPU bandwidth; null when the model is fully on the GPU. */
  cpuTokensPerSecond: z.number().nullable(),
});
export type AutoSlotJson = z.infer<typeof AutoSlotJsonSchema>;

/** A slot where nothing fits: the reason says what the smallest candidate needs. */
export const AutoNoFitJsonSchema = z.object({ id: z.string(), quant: z.null(), reason: z.string() });

export const AutoChoiceJsonSchema = z.object({
  completion: z.union([AutoSlotJsonSchema, AutoNoFitJsonSchema]).nullable(),
  chat: z.union([AutoSlotJsonSchema, AutoNoFitJsonSchema]).nullable(),
  totalBytes: z.number(),
  budgetBytes: z.number(),
  reason: z.string(),
  cpuBandwidth: z.object({ bytesPerSecond: z.number(), measured: z.boolean() }),
});
export type AutoChoiceJson = z.infer<typeof AutoChoiceJsonSchema>;

function slotJson(slot: SlotChoice | null): AutoChoiceJson["completion"] {
  if (!slot) return null;
  const s = slot.selection;
  if (s.quant === null) return { id: slot.id, quant: null, reason: s.reason };
  return {
    id: slot.id,
    quant: s.quant,
    file: s.file,
    sizeBytes: s.sizeBytes,
    placement: s.placement,
    gpuLayers: s.gpuLayers,
    estimate: s.estimate,
    cpuTokensPerSecond: slot.cpuTokensPerSecond,
    reason: s.reason,
  };
}

export function autoChoiceJson(choice: AutoChoice): AutoChoiceJson {
  return {
    completion: slotJson(choice.completion),
    chat: slotJson(choice.chat),
    totalBytes: choice.totalBytes,
    budgetBytes: choice.budgetBytes,
    reason: choice.reason,
    cpuBandwidth: choice.cpuBandwidth,
  };
}

function slotLine(label: string, slot: AutoChoiceJson["completion"]): string {
  if (!slot) return `${label}: –`;
  if (slot.quant === null) return `${label}: none (${slot.id}). ${slot.reason}`;
  return `${label}: ${slot.id} ${slot.quant} (${formatGiB(slot.sizeBytes)} file, needs ${formatGiB(slot.estimate.totalBytes)})\n  ${slot.reason}`;
}

export function autoChoiceText(choice: AutoChoiceJson): string {
  return [
    slotLine("Completion", choice.completion),
    slotLine("Chat", choice.chat),
    `Together: ${formatGiB(choice.totalBytes)} of ${formatGiB(choice.budgetBytes)}`,
    choice.reason,
    "",
  ].join("\n");
}
