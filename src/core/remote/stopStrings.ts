/**
 * Stop strings applied on our side of a stream, so every server (and the local worker) ends at
 * the same place and reports the same stop reason: the text before the first stop string, and
 * streamed pieces that never contain the start of a stop string that might still complete.
 * (Servers strip the stop string they matched and then look like an end-of-generation stop.)
 */
export class StopStringMatcher {
  private held = "";
  private done = false;

  constructor(private readonly stops: readonly string[]) {}

  get stopped(): boolean {
    return this.done;
  }

  /** Adds streamed text; returns the part that is safe to show and whether a stop string ended it. */
  push(text: string): { emit: string; stopped: boolean } {
    if (this.done) return { emit: "", stopped: true };
    const pending = this.held + text;
    let first = -1;
    for (const stop of this.stops) {
      const at = pending.indexOf(stop);
      if (at !== -1 && (first === -1 || at < first)) first = at;
    }
    if (first !== -1) {
      this.done = true;
      this.held = "";
      return { emit: pending.slice(0, first), stopped: true };
    }
    const keep = this.partialMatchLength(pending);
    this.held = pending.slice(pending.length - keep);
    return { emit: pending.slice(0, pending.length - keep), stopped: false };
  }

  /** The end of the stream: held text was not a stop string after all. */
  flush(): string {
    const rest = this.done ? "" : this.held;
    this.held = "";
    return rest;
  }

  /** Length of the longest end of `text` that is a proper start of some stop string. */
  private partialMatchLength(text: string): number {
    let best = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, text.length); n > best; n--) {
        if (text.endsWith(stop.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
