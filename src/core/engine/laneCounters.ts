/**
 * Generation counters per lane (completion, chat), reported in the engine's status so tests can
 * prove that fast typing never runs generations side by side or queues stale ones. Both the local
 * worker and the remote backend keep them.
 */
import type { LaneStats } from "./types";

export class LaneCounters {
  /**
   * What snapshot() reports. started: requests whose generation actually ran (remote: whose HTTP
   * request was sent); skipped: aborted (superseded or cancelled) before they ran, so no tokens were
   * spent on them; peakAhead: most live (not aborted) requests ahead of a new one when it arrived.
   */
  private readonly stats: LaneStats = {
    requests: 0,
    started: 0,
    skipped: 0,
    peakRunning: 0,
    peakAhead: 0,
    warmUps: 0,
    warmUpsCompleted: 0,
    warmUpsAborted: 0,
    warmUpTokens: 0,
  };
  private running = 0;

  /** Counts a warm-up (its request is counted by arrived() as any other) and how it ends. */
  warmUp<T extends { promptTokens: number; reusedPromptTokens: number }>(result: Promise<T>): Promise<T> {
    this.stats.warmUps++;
    return result.then(
      (r) => {
        this.stats.warmUpsCompleted++;
        this.stats.warmUpTokens += r.promptTokens - r.reusedPromptTokens;
        return r;
      },
      (error: unknown) => {
        this.stats.warmUpsAborted++;
        throw error;
      },
    );
  }

  arrived(liveAhead: number): void {
    this.stats.requests++;
    this.stats.peakAhead = Math.max(this.stats.peakAhead, liveAhead);
  }

  /** A request was aborted before it ran. */
  skip(): void {
    this.stats.skipped++;
  }

  start(): void {
    this.stats.started++;
    this.stats.peakRunning = Math.max(this.stats.peakRunning, ++this.running);
  }

  end(): void {
    this.running--;
  }

  snapshot(): LaneStats {
    return { ...this.stats };
  }
}
