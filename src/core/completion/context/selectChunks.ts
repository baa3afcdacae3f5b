/** Picks which ring chunks go into one prompt. */
import type { ContextChunk } from "./extraContextRing";
import { estimateTokens, type TokenCounter } from "../../util/tokenEstimate";

export interface SelectChunksInput {
  chunks: readonly ContextChunk[];
  budgetTokens: number;
  /** The document being completed and its windowed text: chunks already inside it are dropped. */
  uri: string;
  windowText: string;
  countTokens?: TokenCounter;
  /** localCode.context.exclude: a chunk of such a file never reaches a prompt, even if it is in the ring. */
  exclude?: (path: string) => boolean;
}

/**
 * Newest chunks win the budget; the result keeps ring order (oldest first) so the prompt start
 * stays the same from one request to the next.
 */
export function selectChunks(input: SelectChunksInput): ContextChunk[] {
  const count = input.countTokens ?? estimateTokens;
  const picked = new Set<ContextChunk>();
  let used = 0;
  for (let i = input.chunks.length - 1; i >= 0; i--) {
    const chunk = input.chunks[i];
    if (chunk.uri === input.uri && input.windowText.includes(chunk.text)) continue;
    if (input.exclude?.(chunk.path)) continue;
    const cost = count(chunk.path) + count(chunk.text) + 2;
    if (used + cost > input.budgetTokens) break;
    used += cost;
    picked.add(chunk);
  }
  return input.chunks.filter((c) => picked.has(c));
}
