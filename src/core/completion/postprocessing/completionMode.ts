/** Single line or multi-line: decided from where the cursor is, before generating. */
import { isBlank, lineAfterCursor, lineBeforeCursor } from "../text";
import { isOnlyClosers, scanLine, type LanguageSyntax } from "./syntax";

export type CompletionMode = "singleLine" | "multiLine";

/**
 * Single line when code sits right of the cursor, or the cursor is inside a line comment or a
 * one-line string; otherwise multi-line, ended later by the block model. Closers right of the
 * cursor (`{|}`, `(|)`, `("|")`: what bracket auto-closing leaves) do not force a single line:
 * the body goes before them. Inside a `"""` docstring the string may span lines.
 */
export function completionMode(prefix: string, suffix: string, syntax: LanguageSyntax): CompletionMode {
  const right = lineAfterCursor(suffix);
  const cursorLine = lineBeforeCursor(prefix);
  // A docstring opened on an earlier line: the lines before tell.
  const scan = scanLine(cursorLine, syntax, openTripleBefore(prefix, syntax));
  // `"""|"""`: an auto-closed docstring still takes several lines.
  const closesDocstring = scan.openTriple !== "" && right.trim() === scan.openTriple;
  if (!isBlank(right) && !isOnlyClosers(right) && !closesDocstring) return "singleLine";
  if (scan.commentAt >= 0 || scan.openString) return "singleLine";
  return "multiLine";
}

/** The multi-line string the cursor line starts inside, from the lines above it. */
function openTripleBefore(prefix: string, syntax: LanguageSyntax): string {
  if (!syntax.tripleQuotes) return "";
  const end = prefix.lastIndexOf("\n");
  if (end < 0) return "";
  let triple = "";
  for (const line of prefix.slice(0, end).split("\n")) triple = scanLine(line, syntax, triple).openTriple;
  return triple;
}
