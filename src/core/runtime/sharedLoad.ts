/**
 * One load that several callers wait for, each with its own AbortSignal: a caller that gives up
 * stops waiting (its promise rejects as cancelled) without cancelling the load for the others;
 * the load itself is aborted only when every caller has given up. So stopping a chat question
 * never cancels the model load inline completion (or summarize) is waiting for.
 */
import { EngineError } from "../engine/engine";

export class SharedLoad<T> {
  private readonly controller = new AbortController();
  /** Callers still waiting (a caller without a signal never leaves). */
  private waiting = 0;
  readonly promise: Promise<T>;

  constructor(run: (signal: AbortSignal) => Promise<T>) {
    this.promise = run(this.controller.signal);
    // The callers observe the outcome; an unobserved rejection here is not an error.
    this.promise.catch(() => undefined);
  }

  /** Waits for the load; rejects with "cancelled" as soon as `signal` aborts. */
  join(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(cancelled());
    this.waiting++;
    if (!signal) return this.promise;
    return new Promise<T>((resolve, reject) => {
      const leave = () => {
        this.waiting--;
        reject(cancelled());
        if (this.waiting === 0) this.controller.abort("cancelled");
      };
      signal.addEventListener("abort", leave, { once: true });
      this.promise.then(
        (value) => {
          signal.removeEventListener("abort", leave);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", leave);
          reject(error);
        },
      );
    });
  }
}

function cancelled(): EngineError {
  return new EngineError("cancelled", "The request was cancelled.");
}
