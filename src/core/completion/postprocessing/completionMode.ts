/** Single line or multi-line: decided from where the cursor is, before generating. */
import { isBlank, lineAfterCursor, lineBeforeCursor } from "../text";
import { scanLine, type LanguageSyntax } from "./syntax";

export type CompletionMode = "singleLine" | "multiLine";

/**
 * Single line when text sits right of the cursor, or the cursor is inside a line comment or a
 * string; otherwise multi-line, ended later by indentation and bracket structure.
 */
export function completionMode(prefix: string, suffix: string, syntax: LanguageSyntax): CompletionMode {
  if (!isBlank(lineAfterCursor(suffix))) return "singleLine";
  const scan = scanLine(lineBeforeCursor(prefix), syntax);
  if (scan.commentAt >= 0 || scan.openString) return "singleLine";
  return "multiLine";
}
