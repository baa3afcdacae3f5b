import * as path from "node:path";
import { WorkerClient, type WorkerClientOptions } from "../../src/client/workerClient";

export const repoRoot = path.resolve(__dirname, "../../..");
export const workerPath = path.join(repoRoot, "dist/worker.js");
export const cliPath = path.join(repoRoot, "dist/cli.js");

/** A worker client on one thread (tiny models run fastest and deterministic that way). */
export function makeClient(options: Partial<WorkerClientOptions> = {}): WorkerClient {
  return new WorkerClient({ workerPath, threads: 1, gpu: "cpu", logLevel: "error", ...options });
}

export function waitFor<T>(
  predicate: () => T | undefined | null | false,
  timeoutMs = 20_000,
  what = "condition",
): Promise<T> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const value = predicate();
      if (value) resolve(value);
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}
