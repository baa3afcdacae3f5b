/**
 * Generation counters per lane (completion, chat), reported in the engine's status so tests can
 * prove that fast typing never runs generations side by side or queues stale ones. Both the local
 * worker and the remote backend keep them.
 */
import type { LaneStats } from "./types";

export class LaneCounters {
  requests = 0;
  /** Requests whose generation actually ran (remote: whose HTTP request was sent). */
  started = 0;
  /** Requests aborted (superseded or cancelled) before they ran: no tokens were spent on them. */
  skipped = 0;
  running = 0;
  peakRunning = 0;
  /** Most live (not aborted) requests ahead of a new one when it arrived. */
  peakAhead = 0;

  warmUps = 0;
  warmUpsCompleted = 0;
  warmUpsAborted = 0;
  warmUpTokens = 0;

  /** Counts a warm-up (its request is counted by arrived() as any other) and how it ends. */
  warmUp<T extends { promptTokens: number; reusedPromptTokens: number }>(result: Promise<T>): Promise<T> {
    this.warmUps++;
    return result.then(
      (r) => {
        this.warmUpsCompleted++;
        this.warmUpTokens += r.promptTokens - r.reusedPromptTokens;
        return r;
      },
      (error: unknown) => {
        this.warmUpsAborted++;
        throw error;
      },
    );
  }

  arrived(liveAhead: number): void {
    this.requests++;
    this.peakAhead = Math.max(this.peakAhead, liveAhead);
  }

  start(): void {
    this.started++;
    this.peakRunning = Math.max(this.peakRunning, ++this.running);
  }

  end(): void {
    this.running--;
  }

  snapshot(): LaneStats {
    const {
      requests,
      started,
      skipped,
      peakRunning,
      peakAhead,
      warmUps,
      warmUpsCompleted,
      warmUpsAborted,
      warmUpTokens,
    } = this;
    return {
      requests,
      started,
      skipped,
      peakRunning,
      peakAhead,
      warmUps,
      warmUpsCompleted,
      warmUpsAborted,
      warmUpTokens,
    };
  }
}
