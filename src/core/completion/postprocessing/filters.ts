/** Cuts and rejections for outputs that repeat themselves or the document. */
import { isBlank } from "../text";
import type { Cut } from "./blockEnd";

/** Degenerate loops: cut before a non-blank line identical to the document line before it. */
export function cutAtRepeatedLine(lines: readonly string[], cursorLine: string): Cut {
  for (let i = 1; i < lines.length; i++) {
    const previous = i === 1 ? cursorLine + lines[0] : lines[i - 1];
    if (!isBlank(lines[i]) && lines[i].trimEnd() === previous.trimEnd()) return { lines: lines.slice(0, i), cut: true };
  }
  return { lines: [...lines], cut: false };
}

/** Same code line, ignoring indentation; short punctuation-only lines (`}`) never count. */
export function sameCodeLine(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return false;
  const ta = a.trim();
  return ta.length >= 3 && /\w/.test(ta) && ta === b.trim();
}
