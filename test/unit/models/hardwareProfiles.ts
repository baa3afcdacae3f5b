/**
 * The machines issue #19 lists, as hardware profiles: what is free is what a picker sees. NVIDIA:
 * the driver and the desktop hold about 0.5 GiB of VRAM; RAM: a quarter is in use by the OS and
 * the editor; Apple: Metal lets the GPU use about 3/4 of unified memory
 * (recommendedMaxWorkingSetSize), out of the same free RAM.
 */
import type { HardwareProfile } from "../../../src/core/models/hardwareProfile";

const GiB = 1024 ** 3;
const FREE_RAM = 0.75;

export interface NamedProfile {
  name: string;
  /** Machines of one kind, ordered so that each has at least the memory of the one before. */
  kind: "cpu" | "nvidia" | "apple";
  profile: HardwareProfile;
}

export function cpuOnly(ramGiB: number): NamedProfile {
  return {
    name: `CPU only, ${ramGiB} GB RAM`,
    kind: "cpu",
    profile: {
      gpu: "none",
      vramTotalBytes: 0,
      vramFreeBytes: 0,
      ramTotalBytes: ramGiB * GiB,
      ramFreeBytes: ramGiB * GiB * FREE_RAM,
      unifiedMemory: false,
      cpuCores: 8,
    },
  };
}

export function nvidia(vramGiB: number, ramGiB: number): NamedProfile {
  return {
    name: `NVIDIA ${vramGiB} GB, ${ramGiB} GB RAM`,
    kind: "nvidia",
    profile: {
      gpu: "cuda",
      vramTotalBytes: vramGiB * GiB,
      vramFreeBytes: (vramGiB - 0.5) * GiB,
      ramTotalBytes: ramGiB * GiB,
      ramFreeBytes: ramGiB * GiB * FREE_RAM,
      unifiedMemory: false,
      cpuCores: 8,
    },
  };
}

export function apple(unifiedGiB: number): NamedProfile {
  const ramFree = unifiedGiB * GiB * FREE_RAM;
  return {
    name: `Apple ${unifiedGiB} GB unified`,
    kind: "apple",
    profile: {
      gpu: "metal",
      vramTotalBytes: unifiedGiB * GiB * 0.75,
      vramFreeBytes: Math.min(unifiedGiB * GiB * 0.75, ramFree),
      ramTotalBytes: unifiedGiB * GiB,
      ramFreeBytes: ramFree,
      unifiedMemory: true,
      cpuCores: 8,
    },
  };
}

export const CPU_RAM = [8, 16, 32, 64];
export const NVIDIA_VRAM = [4, 6, 8, 12, 16, 24, 48, 80];
export const NVIDIA_RAM = [16, 32, 64];
export const APPLE_UNIFIED = [8, 16, 36, 64];

export const PROFILES: NamedProfile[] = [
  ...CPU_RAM.map(cpuOnly),
  ...NVIDIA_VRAM.flatMap((v) => NVIDIA_RAM.map((r) => nvidia(v, r))),
  ...APPLE_UNIFIED.map(apple),
];
