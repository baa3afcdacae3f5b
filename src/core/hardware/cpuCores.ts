/**
 * Physical core count from /proc/cpuinfo text (Linux). Hyper-threads share a core's execution
 * units, so generation threads beyond the physical cores only add contention.
 * Returns null when the text has no topology (other OSes, containers hiding it).
 */
export function physicalCoresFromCpuinfo(cpuinfo: string): number | null {
  const cores = new Set<string>();
  let physicalId = "0";
  let sawCoreId = false;
  for (const line of cpuinfo.split("\n")) {
    const [rawKey, rawValue] = line.split(":");
    if (rawValue === undefined) continue;
    const key = rawKey.trim();
    const value = rawValue.trim();
    if (key === "physical id") physicalId = value;
    else if (key === "core id") {
      sawCoreId = true;
      cores.add(`${physicalId}:${value}`);
    }
  }
  return sawCoreId && cores.size > 0 ? cores.size : null;
}

/** Threads to use when the user setting is 0 (auto): physical cores, at least 1. */
export function resolveThreadCount(setting: number, physicalCores: number | null, logicalCores: number): number {
  if (setting > 0) return setting;
  return Math.max(1, physicalCores ?? logicalCores);
}
