/**
 * When to restart a crashed worker: exponential backoff, reset after a stable run, and a cap on
 * consecutive crashes so a model that kills the worker on load does not cause a restart storm.
 */
export interface RestartPolicyOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  /** A worker alive this long counts as stable: the next crash starts the backoff again. */
  stableAfterMs: number;
  /** Consecutive crashes after which we stop and wait for the user. */
  maxConsecutiveCrashes: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  stableAfterMs: 60_000,
  maxConsecutiveCrashes: 5,
};

export class RestartPolicy {
  private consecutive = 0;

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  get crashes(): number {
    return this.consecutive;
  }

  /** Records a crash of a worker that ran for `uptimeMs`; returns the delay, or null to give up. */
  onCrash(uptimeMs: number): number | null {
    if (uptimeMs >= this.options.stableAfterMs) this.consecutive = 0;
    this.consecutive++;
    if (this.consecutive > this.options.maxConsecutiveCrashes) return null;
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (this.consecutive - 1));
  }

  /** A manual restart by the user clears the history. */
  reset(): void {
    this.consecutive = 0;
  }
}
