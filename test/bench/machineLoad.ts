/**
 * How much CPU other processes took while a benchmark step ran (Linux /proc; null elsewhere).
 * On a small shared machine one other busy process halves the cores a 2-thread llama.cpp run
 * expects, and its spin-waiting threads then slow down several times: such samples are worth
 * detecting and re-running rather than averaging in.
 */
import * as fs from "node:fs";
import * as os from "node:os";

/** Jiffies per second on Linux (USER_HZ). */
const HZ = 100;

function machineBusyJiffies(): number | null {
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n", 1)[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
  } catch {
    return null;
  }
}

function processJiffies(pid: number | "self"): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch {
    return 0;
  }
}

export interface LoadProbe {
  /** Share of the whole machine (0..1) that processes other than `ours` used since the probe began. */
  foreignShare(): number | null;
}

/** Starts measuring; `ours` are the pids whose CPU does not count (this process is always ours). */
export function startLoadProbe(ours: readonly (number | null)[] = []): LoadProbe {
  const pids = ours.filter((p): p is number => p !== null);
  const busy0 = machineBusyJiffies();
  const mine0 = processJiffies("self") + pids.reduce((n, p) => n + processJiffies(p), 0);
  const t0 = performance.now();
  return {
    foreignShare() {
      const busy1 = machineBusyJiffies();
      if (busy0 === null || busy1 === null) return null;
      const mine1 = processJiffies("self") + pids.reduce((n, p) => n + processJiffies(p), 0);
      const capacity = ((performance.now() - t0) / 1000) * HZ * os.cpus().length;
      if (capacity <= 0) return 0;
      return Math.max(0, Math.min(1, (busy1 - busy0 - (mine1 - mine0)) / capacity));
    },
  };
}

/**
 * Waits (while this process idles) until other processes use at most `maxShare` of the machine,
 * sampled over `sampleMs`, or until `timeoutMs` passes. Returns the last sample.
 */
export async function waitForQuiet(
  options: { ours?: readonly (number | null)[]; maxShare?: number; sampleMs?: number; timeoutMs?: number } = {},
): Promise<{ share: number | null; waitedMs: number }> {
  const { maxShare = 0.1, sampleMs = 1500, timeoutMs = 60_000 } = options;
  const started = performance.now();
  for (;;) {
    const probe = startLoadProbe(options.ours);
    await new Promise((resolve) => setTimeout(resolve, sampleMs));
    const share = probe.foreignShare();
    const waitedMs = performance.now() - started;
    if (share === null || share <= maxShare || waitedMs >= timeoutMs) return { share, waitedMs };
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}
