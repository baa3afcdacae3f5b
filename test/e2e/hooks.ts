// Mocha root hooks for the UI suite (loaded with --require): one code-server per run, stopped
// (process group killed) at the end, with the run's timings in test-results/e2e/timings.json.
import { stopSession } from "./lib/session";

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    await stopSession();
  },
};
