/**
 * Token-budgeted window of the prefix and suffix around the cursor, cut at line boundaries.
 * The prefix start snaps to a multiple of `anchorLines` so it stays put while the user types:
 * the model's KV cache is reused only for the unchanged start of the prompt.
 */
import { estimateTokens, type TokenCounter } from "../../util/tokenEstimate";

export interface WindowOptions {
  budgetTokens: number;
  /** Share of the budget for the prefix (llama-server: 3/4). Unused share moves to the other side. */
  prefixShare?: number;
  countTokens?: TokenCounter;
  /** The prefix window starts on a line index that is a multiple of this (0 or 1: no snapping). */
  anchorLines?: number;
}

export interface PromptWindow {
  prefix: string;
  suffix: string;
  prefixTokens: number;
  suffixTokens: number;
  /** Index (in the given prefix) of the first line kept. */
  prefixStartLine: number;
  prefixTruncated: boolean;
  suffixTruncated: boolean;
}

/** Lines with their "\n" kept, so joining them gives back the text. */
function splitKeepingNewlines(text: string): string[] {
  const parts = text.split("\n");
  return parts.map((p, i) => (i < parts.length - 1 ? p + "\n" : p));
}

function tailWithin(text: string, budget: number, count: TokenCounter): string {
  const tokens = count(text);
  if (tokens <= budget) return text;
  return text.slice(text.length - Math.floor((text.length * budget) / tokens));
}

function headWithin(text: string, budget: number, count: TokenCounter): string {
  const tokens = count(text);
  if (tokens <= budget) return text;
  return text.slice(0, Math.floor((text.length * budget) / tokens));
}

/** Takes lines from the end of `lines` backwards while they fit; returns the first index kept. */
function fitBackwards(lines: string[], budget: number, count: TokenCounter): { start: number; used: number } {
  let used = 0;
  let start = lines.length;
  while (start > 0) {
    const cost = count(lines[start - 1]);
    if (used + cost > budget) break;
    used += cost;
    start--;
  }
  return { start, used };
}

function fitForwards(lines: string[], budget: number, count: TokenCounter): { end: number; used: number } {
  let used = 0;
  let end = 0;
  while (end < lines.length) {
    const cost = count(lines[end]);
    if (used + cost > budget) break;
    used += cost;
    end++;
  }
  return { end, used };
}

export function promptWindow(prefix: string, suffix: string, options: WindowOptions): PromptWindow {
  const count = options.countTokens ?? estimateTokens;
  const share = options.prefixShare ?? 0.75;
  const anchor = Math.max(1, options.anchorLines ?? 16);
  const budget = Math.max(0, options.budgetTokens);
  const prefixLines = splitKeepingNewlines(prefix);
  const suffixLines = splitKeepingNewlines(suffix);

  // The rest of the cursor line always belongs to the suffix window; whole lines follow.
  const suffixBudget = Math.floor(budget * (1 - share));
  const suffixFirst = headWithin(suffixLines[0], Math.max(suffixBudget, 1), count);
  const suffixFirstTokens = count(suffixFirst);
  const suffixRest = fitForwards(suffixLines.slice(1), Math.max(0, suffixBudget - suffixFirstTokens), count);
  const suffixWanted = suffixFirstTokens + suffixRest.used;
  const suffixAllLines = suffixFirst === suffixLines[0] && suffixRest.end === suffixLines.length - 1;

  // The prefix gets its share plus whatever the suffix left unused.
  const prefixBudget = Math.max(1, budget - Math.min(suffixWanted, suffixBudget));
  const cursorLine = tailWithin(prefixLines[prefixLines.length - 1], prefixBudget, count);
  const cursorLineTokens = count(cursorLine);
  const above = prefixLines.slice(0, -1);
  let { start } = fitBackwards(above, prefixBudget - cursorLineTokens, count);
  if (start > 0 && anchor > 1) start = Math.min(above.length, Math.ceil(start / anchor) * anchor);
  const keptAbove = above.slice(start);
  const prefixText = keptAbove.join("") + cursorLine;
  const prefixTokens = keptAbove.reduce((n, l) => n + count(l), cursorLineTokens);

  // If the prefix is short, the suffix may use the prefix's unused share.
  let suffixText = suffixFirst + suffixLines.slice(1, 1 + suffixRest.end).join("");
  let suffixTokens = suffixWanted;
  let suffixTruncated = !suffixAllLines;
  if (suffixTruncated && suffixFirst === suffixLines[0]) {
    const extra = fitForwards(suffixLines.slice(1 + suffixRest.end), budget - prefixTokens - suffixTokens, count);
    if (extra.end > 0) {
      suffixText += suffixLines.slice(1 + suffixRest.end, 1 + suffixRest.end + extra.end).join("");
      suffixTokens += extra.used;
      suffixTruncated = 1 + suffixRest.end + extra.end < suffixLines.length;
    }
  }

  return {
    prefix: prefixText,
    suffix: suffixText,
    prefixTokens,
    suffixTokens,
    prefixStartLine: start,
    prefixTruncated: start > 0 || cursorLine !== prefixLines[prefixLines.length - 1],
    suffixTruncated,
  };
}
