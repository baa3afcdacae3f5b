/**
 * The one token estimator, for when no tokenizer is at hand (no model loaded yet, a remote server
 * without /tokenize). Ratio: 3 characters per token. BPE vocabularies give code ~3-4 chars/token;
 * erring low on chars/token over-counts, which keeps prompts inside their budget. Measured against
 * the real tokenizers at x0.93..x1.24 of the true count (docs/real-models.md, test/real).
 */
export const CHARS_PER_TOKEN = 3;

/** Synchronous, because the completion window is cut line by line on every keystroke. */
export type TokenCounter = (text: string) => number;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** An estimator calibrated from one exact measurement (e.g. Engine.countTokens on a sample). */
export function calibratedEstimator(sampleChars: number, sampleTokens: number): TokenCounter {
  const charsPerToken = sampleTokens > 0 && sampleChars > 0 ? sampleChars / sampleTokens : CHARS_PER_TOKEN;
  return (text) => Math.ceil(text.length / charsPerToken);
}
