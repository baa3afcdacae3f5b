/** Token counting for prompt budgets. */

/** Synchronous, because the window is cut line by line on every keystroke. */
export type TokenCounter = (text: string) => number;

/**
 * Cheap default: ~3 characters per token. Code tokenizes at ~3-4 chars/token with BPE vocabularies;
 * erring low on chars/token over-counts, which keeps the prompt inside the budget.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3);
}

/** An estimator calibrated from one exact measurement (e.g. Engine.countTokens on a sample). */
export function calibratedEstimator(sampleChars: number, sampleTokens: number): TokenCounter {
  const charsPerToken = sampleTokens > 0 && sampleChars > 0 ? sampleChars / sampleTokens : 3;
  return (text) => Math.ceil(text.length / charsPerToken);
}
