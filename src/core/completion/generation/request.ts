/** The generate request for one completion. */
import type { GenerateRequestInput, PromptSegment } from "../../engine/types";
import type { CompletionMode } from "../postprocessing/completionMode";
import { ENGINE_STOP_STRINGS } from "../postprocessing/stopMarkers";
import type { CompletionSettings } from "../settings";

export function buildGenerateBody(
  segments: PromptSegment[],
  mode: CompletionMode,
  settings: Pick<CompletionSettings, "maxTokens" | "timeBudgetMs">,
): GenerateRequestInput {
  return {
    kind: "segments",
    segments,
    maxTokens: settings.maxTokens,
    // Greedy: completions must be repeatable (the cache relies on it) and are better for code.
    temperature: 0,
    timeBudgetMs: settings.timeBudgetMs,
    // A single-line request ends at the newline instead of spending tokens on lines we drop.
    stop: mode === "singleLine" ? [...ENGINE_STOP_STRINGS, "\n"] : [...ENGINE_STOP_STRINGS],
    stream: true,
  };
}
