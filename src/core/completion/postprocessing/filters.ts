/**
 * Cuts and rejections for outputs that repeat themselves or the document. Small models loop:
 * repetition is found by similarity of tokens, not equality of lines, within and across lines.
 */
import { isBlank, leadingWhitespace } from "../text";
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

/** Code tokens: words/numbers, and runs of punctuation. */
export function tokens(text: string): string[] {
  return text.match(/\w+|[^\w\s]+/g) ?? [];
}

/**
 * The line ends in a loop: its last tokens are one n-gram (1 to 4 tokens) repeated 4+ times
 * (`x = x = x = x`), or one character or short word repeated (`1000000000000000000000`). Only
 * the end counts: a loop runs until the token limit, while `[0, 0, 0, 0]` ends with `]`.
 */
export function endsInLoop(line: string): boolean {
  const text = line.trimEnd();
  if (/(\w)\1{19,}$/.test(text)) return true;
  const t = tokens(text);
  for (let p = 1; p <= 4; p++) {
    let reps = 1;
    while (t.length >= p * (reps + 1) && sameRange(t, t.length - p, t.length - p * (reps + 1), p)) reps++;
    // A partial copy may lead the run (`x = x = x` is `x` + 2 x `= x`).
    const full = reps * p + leadingPartial(t, t.length - reps * p, p);
    // The repeated n-gram must hold a word: `| --- | --- | --- | --- |` is a Markdown table.
    if (reps >= 4 && full >= 8 && t.slice(t.length - p).some((x) => /\w/.test(x))) return true;
  }
  return false;
}

function sameRange(t: readonly string[], a: number, b: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (t[a + k] !== t[b + k]) return false;
  return true;
}

function leadingPartial(t: readonly string[], start: number, p: number): number {
  let n = 0;
  while (n < p - 1 && start - n - 1 >= 0 && t[start - n - 1] === t[start + p - n - 1]) n++;
  return n;
}

/** Cuts before the first line that ends in a loop (the loop and everything after it). */
export function cutAtLoopingLine(lines: readonly string[]): Cut {
  const at = lines.findIndex(endsInLoop);
  return at < 0 ? { lines: [...lines], cut: false } : { lines: lines.slice(0, at), cut: true };
}

/** Token substitutions that turn line a into line b (same indentation and token count), or null. */
function substitutions(a: string, b: string): [string, string][] | null {
  if (leadingWhitespace(a) !== leadingWhitespace(b)) return null;
  const ta = tokens(a);
  const tb = tokens(b);
  if (ta.length !== tb.length) return null;
  const subs: [string, string][] = [];
  for (let i = 0; i < ta.length; i++) if (ta[i] !== tb[i]) subs.push([ta[i], tb[i]]);
  return subs;
}

/** A line with enough substance to count as a repeat (not `}` or `end`). */
function substantial(line: string): boolean {
  const t = tokens(line);
  return t.length >= 3 && t.some((x) => /\w/.test(x));
}

/** `b` counts one up from `a`: `1`/`2`, `b`/`c`, `test1`/`test2`, `item_9`/`item_10`. */
export function isIncrement(a: string, b: string): boolean {
  if (/^[A-Za-z]$/.test(a) && /^[A-Za-z]$/.test(b)) return b.charCodeAt(0) === a.charCodeAt(0) + 1;
  const ma = /^(\D*)(\d+)$/.exec(a);
  const mb = /^(\D*)(\d+)$/.exec(b);
  return ma !== null && mb !== null && ma[1] === mb[1] && Number(mb[2]) === Number(ma[2]) + 1;
}

/** The same line with at most one name counted up (`const b = 1;` / `const c = 1;`). */
function countsUp(subs: [string, string][] | null): boolean {
  return (
    subs !== null && subs.every(([x, y]) => isIncrement(x, y)) && new Set(subs.map((s) => s.join("\u0000"))).size <= 1
  );
}

function nearIdentical(a: string, b: string): boolean {
  return substantial(a) && countsUp(substitutions(a, b));
}

/**
 * Repeats by similarity across lines:
 * - a block of 2+ lines followed by a copy of it, exact or with one name counted up wherever it
 *   occurs (`test2` -> `test3`): keep the first copy;
 * - a series of 4+ lines, each the one before with a name counted up, that runs into the line cap
 *   (`const b = 1;`, `const c = 1;`, ...): keep its first line. A list of different values
 *   (`"red",` `"green",`) or a series the model ended itself is left alone.
 */
export function cutAtSimilarRepeats(input: readonly string[], cursorLine: string, maxLines: number): Cut {
  const n = input.length;
  if (n === 0) return { lines: [], cut: false };
  // Compare whole document lines: the first one continues the cursor line.
  const lines = [cursorLine + input[0], ...input.slice(1)];
  for (let s = 0; s < n; s++) {
    for (let len = 2; s + 2 * len <= n; len++) {
      if (blockRepeats(lines, s, len)) return { lines: input.slice(0, s + len), cut: true };
    }
  }
  if (n >= maxLines) {
    let start = n - 1;
    while (start > 0 && nearIdentical(lines[start - 1], lines[start])) start--;
    if (n - start >= 4) return { lines: input.slice(0, start + 1), cut: true };
  }
  return { lines: [...input], cut: false };
}

function blockRepeats(lines: readonly string[], s: number, len: number): boolean {
  const seen = new Set<string>();
  let substantialLines = 0;
  for (let k = 0; k < len; k++) {
    const a = lines[s + k];
    const b = lines[s + len + k];
    if (isBlank(a) !== isBlank(b)) return false;
    if (isBlank(a)) continue;
    const subs = substitutions(a, b);
    if (subs === null || !countsUp(subs)) return false;
    for (const [x, y] of subs) seen.add(`${x}\u0000${y}`);
    if (seen.size > 1) return false;
    if (substantial(a)) substantialLines++;
  }
  return substantialLines >= 2;
}
