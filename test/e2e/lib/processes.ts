import { execFileSync } from "node:child_process";

/** Pids of the model workers of the extension installed in `extensionsDir` (node running its dist/worker.js). */
export function workerPids(extensionsDir: string): number[] {
  const out = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((line) => line.includes(extensionsDir) && line.includes("dist/worker.js"))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}
