/** Removes what the document already has: the text right of the cursor and the lines below. */
import { isBlank } from "../text";
import { scanLine, type LanguageSyntax } from "./syntax";
import type { Cut } from "./blockEnd";

/** First non-blank line after the cursor line, or null. */
export function nextNonBlankLine(suffix: string): string | null {
  const lines = suffix.split("\n");
  for (let i = 1; i < lines.length; i++) if (!isBlank(lines[i])) return lines[i];
  return null;
}

/**
 * Cuts a multi-line completion where it starts repeating the document below the cursor (the first
 * non-blank suffix line, indentation included). Lines inside a block the completion opened do not
 * count: its own `}` is not the `}` below.
 */
export function cutAtSuffixOverlap(lines: readonly string[], suffix: string, syntax: LanguageSyntax): Cut {
  const next = nextNonBlankLine(suffix)?.trimEnd();
  if (!next) return { lines: [...lines], cut: false };
  let depth = 0;
  for (let i = 0; i < lines.length; i++) {
    if (i > 0 && depth <= 0 && !isBlank(lines[i]) && lines[i].trimEnd() === next)
      return { lines: lines.slice(0, i), cut: true };
    depth += scanLine(lines[i], syntax).delta;
  }
  return { lines: [...lines], cut: false };
}

function isSubsequence(needle: string, haystack: string): boolean {
  let j = 0;
  for (let i = 0; i < haystack.length && j < needle.length; i++) if (haystack[i] === needle[j]) j++;
  return j === needle.length;
}

/**
 * A single-line completion next to text right of the cursor (say an auto-closed `)`): either it
 * is inserted before that text, or it already contains it and replaces it. Picks the reading
 * whose line has the bracket and quote balance the line had before, preferring plain insertion.
 */
export function resolveRightOverlap(
  cursorLine: string,
  completion: string,
  rightText: string,
  syntax: LanguageSyntax,
): { text: string; replaceRight: number } {
  const right = rightText.trimEnd();
  if (isBlank(right)) return { text: completion, replaceRight: 0 };
  const base = scanLine(cursorLine + rightText, syntax);
  const score = (line: string) => {
    const s = scanLine(line, syntax);
    return Math.abs(s.delta - base.delta) + (s.openString !== base.openString ? 1 : 0);
  };
  const endsWithRight = completion.endsWith(right.trim());
  const insertScore = score(cursorLine + completion + rightText) + (endsWithRight ? 1 : 0);
  if (!isSubsequence(right.replace(/\s/g, ""), completion)) return { text: completion, replaceRight: 0 };
  const replaceScore = score(cursorLine + completion + rightText.slice(right.length));
  if (replaceScore >= insertScore) return { text: completion, replaceRight: 0 };
  if (completion.endsWith(right))
    return { text: completion.slice(0, completion.length - right.length), replaceRight: 0 };
  return { text: completion, replaceRight: right.length };
}

/** Offset in the text right of the cursor just after its n-th closing bracket/keyword. */
export function rightClosersEnd(rightText: string, n: number, syntax: LanguageSyntax): number {
  const closes = scanLine(rightText, syntax).events.filter((e) => !e.open);
  const e = closes[Math.min(n, closes.length) - 1];
  return e ? e.at + (/\w/.test(rightText[e.at]) ? e.kind.length : 1) : 0;
}
