/**
 * When completion requests run: each automatic request waits out the debounce; a newer request
 * supersedes a waiting one and aborts a running one; at most one task runs at a time (a new one
 * starts only after the aborted one has settled); a manual request skips the debounce.
 */
import type { Clock, TimerHandle } from "./clock";

export type ScheduleOutcome<T> =
  | { kind: "done"; value: T }
  /** A newer request took over. */
  | { kind: "superseded" }
  /** The caller's signal aborted it. */
  | { kind: "cancelled" }
  | { kind: "failed"; error: unknown };

export interface DebouncePolicy {
  recordKeystroke(at: number): void;
  delayMs(): number;
}

export interface ScheduleOptions {
  manual?: boolean;
  signal?: AbortSignal;
}

interface Entry {
  controller: AbortController;
  settle(outcome: ScheduleOutcome<unknown>): void;
  settled: boolean;
  timer: TimerHandle | null;
  start(): void;
}

export class CompletionScheduler {
  private waiting: Entry | null = null;
  private running: { entry: Entry; done: Promise<void> } | null = null;
  private disposed = false;

  constructor(
    private readonly clock: Clock,
    private readonly debounce: DebouncePolicy,
  ) {}

  /** A task is running (possibly aborted and winding down). */
  get busy(): boolean {
    return this.running !== null || this.waiting !== null;
  }

  schedule<T>(task: (signal: AbortSignal) => Promise<T>, options: ScheduleOptions = {}): Promise<ScheduleOutcome<T>> {
    const now = this.clock.now();
    if (!options.manual) this.debounce.recordKeystroke(now);
    this.supersedeAll();
    return new Promise<ScheduleOutcome<T>>((resolve) => {
      const entry: Entry = {
        controller: new AbortController(),
        settled: false,
        timer: null,
        settle: (outcome) => {
          if (entry.settled) return;
          entry.settled = true;
          if (entry.timer !== null) this.clock.clearTimer(entry.timer);
          entry.timer = null;
          options.signal?.removeEventListener("abort", onAbort);
          resolve(outcome as ScheduleOutcome<T>);
        },
        start: () => this.start(entry, task),
      };
      const onAbort = () => this.cancel(entry);
      if (this.disposed || options.signal?.aborted) return entry.settle({ kind: "cancelled" });
      options.signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting = entry;
      const delay = options.manual ? 0 : this.debounce.delayMs();
      if (delay <= 0) this.startWhenFree(entry);
      else entry.timer = this.clock.setTimer(() => this.startWhenFree(entry), delay);
    });
  }

  /** Supersedes whatever waits or runs (e.g. the editor lost focus). */
  cancelAll(): void {
    this.supersedeAll();
  }

  dispose(): void {
    this.disposed = true;
    this.supersedeAll();
  }

  private supersedeAll(): void {
    if (this.waiting) {
      this.waiting.settle({ kind: "superseded" });
      this.waiting = null;
    }
    if (this.running && !this.running.entry.settled) {
      this.running.entry.controller.abort();
      this.running.entry.settle({ kind: "superseded" });
    }
  }

  private cancel(entry: Entry): void {
    if (this.waiting === entry) this.waiting = null;
    entry.controller.abort();
    entry.settle({ kind: "cancelled" });
  }

  private startWhenFree(entry: Entry): void {
    entry.timer = null;
    if (entry.settled) return;
    if (this.running) {
      void this.running.done.then(() => this.startWhenFree(entry));
      return;
    }
    entry.start();
  }

  private start<T>(entry: Entry, task: (signal: AbortSignal) => Promise<T>): void {
    if (this.waiting === entry) this.waiting = null;
    let promise: Promise<T>;
    try {
      promise = task(entry.controller.signal);
    } catch (error) {
      promise = Promise.reject(error);
    }
    const done = promise.then(
      (value) => entry.settle({ kind: "done", value }),
      (error) => entry.settle({ kind: "failed", error }),
    );
    const running = {
      entry,
      done: done.then(() => {
        if (this.running === running) this.running = null;
      }),
    };
    this.running = running;
  }
}
