/**
 * The hardware description quant selection takes: plain numbers, so tests can feed tables of
 * fake machines. Built from the worker's HardwareInfo on real ones.
 */
import * as z from "zod";
import type { HardwareInfo } from "../engine/types";

export const HardwareProfileSchema = z.object({
  gpu: z.enum(["cuda", "vulkan", "metal", "none"]),
  vramTotalBytes: z.number().min(0),
  vramFreeBytes: z.number().min(0),
  ramTotalBytes: z.number().min(0),
  ramFreeBytes: z.number().min(0),
  /** GPU and CPU draw from the same memory (Apple silicon): VRAM is not extra memory. */
  unifiedMemory: z.boolean(),
  cpuCores: z.number().int().min(1),
});
export type HardwareProfile = z.infer<typeof HardwareProfileSchema>;

export function hardwareProfileFromInfo(info: HardwareInfo): HardwareProfile {
  return HardwareProfileSchema.parse({
    gpu: info.gpu,
    vramTotalBytes: info.gpu === "none" ? 0 : info.vram.total,
    vramFreeBytes: info.gpu === "none" ? 0 : info.vram.free,
    ramTotalBytes: info.ram.total,
    ramFreeBytes: info.ram.free,
    unifiedMemory: info.gpu !== "none" && info.vram.unifiedSize > 0,
    cpuCores: Math.max(1, info.cpu.physicalCores || info.cpu.logicalCores || 1),
  });
}

/** Bytes a model may use on each side; `partialOffload` says whether splitting layers adds memory. */
export interface MemoryBudgets {
  gpuBytes: number;
  ramBytes: number;
  partialOffload: boolean;
}

/**
 * Budgets come from free memory, not total: what other programs hold is not ours. With unified
 * memory the GPU budget is also capped by free RAM, and a CPU/GPU split gains nothing.
 */
export function memoryBudgets(hw: HardwareProfile): MemoryBudgets {
  if (hw.gpu === "none" || hw.vramFreeBytes <= 0)
    return { gpuBytes: 0, ramBytes: hw.ramFreeBytes, partialOffload: false };
  if (hw.unifiedMemory)
    return { gpuBytes: Math.min(hw.vramFreeBytes, hw.ramFreeBytes), ramBytes: hw.ramFreeBytes, partialOffload: false };
  return { gpuBytes: hw.vramFreeBytes, ramBytes: hw.ramFreeBytes, partialOffload: true };
}
