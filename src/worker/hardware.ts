import * as fs from "node:fs";
import * as os from "node:os";
import { physicalCoresFromCpuinfo } from "../core/hardware/cpuCores";

export function physicalCores(): number | null {
  if (process.platform !== "linux") return null;
  try {
    return physicalCoresFromCpuinfo(fs.readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return null;
  }
}

export function cpuDescription(): { physicalCores: number; logicalCores: number; model: string } {
  const logical = os.availableParallelism();
  return { physicalCores: physicalCores() ?? logical, logicalCores: logical, model: os.cpus()[0]?.model ?? "unknown" };
}
