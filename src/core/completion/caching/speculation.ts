/**
 * Speculative completion (after llama.vscode): while a suggestion is shown, pre-compute the one
 * that follows it, so accepting shows the next suggestion at once from the cache.
 */
import type { GhostText } from "../types";
import { toLf } from "../text";
import { rightOfCursorAllowsCompletion } from "../prefiltering/prefilter";
import type { CompletionCache } from "./completionCache";

/** The document halves after accepting a suggestion (LF). */
export function acceptGhost(prefix: string, suffix: string, ghost: GhostText): { prefix: string; suffix: string } {
  return { prefix: toLf(prefix) + toLf(ghost.text), suffix: toLf(suffix).slice(ghost.replaceRight) };
}

export interface SpeculationInput {
  enabled: boolean;
  /** A generation is running or queued: speculation never competes with a real request. */
  engineBusy: boolean;
  prefix: string;
  suffix: string;
  /** The suggestion being shown. */
  ghost: GhostText | null;
  cache: Pick<CompletionCache, "has">;
}

export type SpeculationPlan =
  | { run: true; prefix: string; suffix: string }
  | { run: false; reason: "disabled" | "busy" | "noSuggestion" | "cached" | "cursorBeforeText" };

export function planSpeculation(input: SpeculationInput): SpeculationPlan {
  if (!input.enabled) return { run: false, reason: "disabled" };
  if (!input.ghost || input.ghost.text.trim().length === 0) return { run: false, reason: "noSuggestion" };
  if (input.engineBusy) return { run: false, reason: "busy" };
  const next = acceptGhost(input.prefix, input.suffix, input.ghost);
  // After accepting, automatic completion would not run there either.
  if (!rightOfCursorAllowsCompletion(next.suffix)) return { run: false, reason: "cursorBeforeText" };
  if (input.cache.has(next.prefix, next.suffix)) return { run: false, reason: "cached" };
  return { run: true, ...next };
}
