/**
 * Debounce that follows the typing rhythm: wait a bit longer than the user's usual gap between
 * keys, so a request starts on a real pause rather than mid-word. Fast typists get a shorter
 * wait, slow ones a longer one, within [base/2, base*3]. Gaps longer than `burstGapMs` are pauses,
 * not rhythm, and are ignored.
 */
export interface AdaptiveDebounceOptions {
  baseMs: number;
  adaptive: boolean;
  burstGapMs?: number;
  /** Weight of the newest gap in the moving average. */
  alpha?: number;
  factor?: number;
}

export class AdaptiveDebounce {
  private lastKeystroke: number | null = null;
  private averageGap: number | null = null;

  constructor(private readonly options: AdaptiveDebounceOptions) {}

  recordKeystroke(at: number): void {
    if (this.lastKeystroke !== null) {
      const gap = at - this.lastKeystroke;
      if (gap > 0 && gap <= (this.options.burstGapMs ?? 1000)) {
        const alpha = this.options.alpha ?? 0.3;
        this.averageGap = this.averageGap === null ? gap : alpha * gap + (1 - alpha) * this.averageGap;
      }
    }
    this.lastKeystroke = at;
  }

  delayMs(): number {
    const base = this.options.baseMs;
    if (!this.options.adaptive || this.averageGap === null) return base;
    const wanted = this.averageGap * (this.options.factor ?? 1.5);
    return Math.round(Math.min(base * 3, Math.max(base / 2, wanted)));
  }
}
