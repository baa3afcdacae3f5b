/** Decides, before any work, whether an automatic completion request should run at all. */
import type { CompletionSettings } from "../settings";
import { lineAfterCursor } from "../text";

export type PrefilterReason = "disabled" | "languageDisabled" | "cursorBeforeText";
export type PrefilterResult = { run: true } | { run: false; reason: PrefilterReason };

export interface PrefilterInput {
  languageId: string;
  /** Text after the cursor (only its first line matters). */
  suffix: string;
  /** Explicit user request: always runs. */
  manual: boolean;
  settings: Pick<CompletionSettings, "enabled" | "disabledLanguages">;
}

// Whitespace, closing brackets, quotes, and the `;`/`,` that usually follow an auto-closed bracket.
const ALLOWED_RIGHT_OF_CURSOR = /^[\s)\]}>"'`;,]*$/;

/** True when the text right of the cursor leaves room for a completion (nothing significant there). */
export function rightOfCursorAllowsCompletion(suffix: string): boolean {
  return ALLOWED_RIGHT_OF_CURSOR.test(lineAfterCursor(suffix));
}

export function prefilter(input: PrefilterInput): PrefilterResult {
  if (input.manual) return { run: true };
  if (!input.settings.enabled) return { run: false, reason: "disabled" };
  if (input.settings.disabledLanguages.includes(input.languageId)) return { run: false, reason: "languageDisabled" };
  if (!rightOfCursorAllowsCompletion(input.suffix)) return { run: false, reason: "cursorBeforeText" };
  return { run: true };
}
