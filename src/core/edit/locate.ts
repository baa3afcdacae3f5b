/**
 * Apply from chat: where a code block from an answer belongs in a file. First the selection the
 * question was about (found again if the file changed since); else the best fuzzy match of the
 * block against the file's symbols and lines; else nothing (the adapter asks the user).
 */
import { splitLines } from "./extract";
import type { LineRange, SymbolInfo } from "./range";

export type SelectionLocation = { ok: true; range: LineRange; moved: boolean } | { ok: false; reason: string };

/**
 * Where the remembered selection (`content`, once at 0-based `expected` lines) is now: the whole
 * lines holding the occurrence of its text nearest to where it was. Trailing whitespace and line
 * endings do not matter. The reason when the text is no longer in the file.
 */
export function locateSelection(content: string, expected: LineRange, lines: readonly string[]): SelectionLocation {
  const norm = (l: string) => l.trimEnd();
  let wanted = splitLines(content).map(norm);
  while (wanted.length > 1 && wanted.at(-1) === "") wanted = wanted.slice(0, -1);
  const span = `lines ${expected.startLine + 1}-${expected.endLine + 1}`;
  if (wanted.every((l) => l.trim() === ""))
    return { ok: false, reason: `the selection the question was about (${span}) was empty` };
  const doc = lines.map(norm);
  const hits: number[] = [];
  for (let at = 0; at + wanted.length <= doc.length; at++) if (matchesAt(wanted, doc, at)) hits.push(at);
  if (hits.length === 0)
    return {
      ok: false,
      reason: `the code the question was about (${span} when it was asked) has changed since the answer`,
    };
  const startLine = hits.reduce((a, b) =>
    Math.abs(b - expected.startLine) < Math.abs(a - expected.startLine) ? b : a,
  );
  return {
    ok: true,
    range: { startLine, endLine: startLine + wanted.length - 1 },
    moved: startLine !== expected.startLine,
  };
}

/** The selection may start and end inside a line: its first line ends a line, its last starts one. */
function matchesAt(wanted: readonly string[], doc: readonly string[], at: number): boolean {
  const last = wanted.length - 1;
  return wanted.every((w, i) => {
    const line = doc[at + i]!;
    if (last === 0) return line.includes(w);
    if (i === 0) return line.endsWith(w);
    if (i === last) return line.startsWith(w.trimStart()) || w.trim() === "";
    return line === w;
  });
}

export interface BlockMatch {
  range: LineRange;
  /** 0..1: how much of the block's and the range's tokens are the same (Dice coefficient). */
  score: number;
  source: "symbol" | "lines";
  /** Shown to the user: "function add", "lines 4-9". */
  label: string;
}

/** Below this, a match is a guess: the adapter asks instead. */
export const MIN_MATCH_SCORE = 0.5;

/** Code compared as tokens (words and symbols), so indentation, spacing and small edits barely matter. */
const tokensOf = (line: string): string[] => line.match(/\w+|[^\s\w]/g) ?? [];

function multiset(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) for (const t of tokensOf(line)) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

const sizeOf = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

function dice(a: Map<string, number>, b: Map<string, number>): number {
  const total = sizeOf(a) + sizeOf(b);
  if (total === 0) return 0;
  let common = 0;
  for (const [k, n] of a) common += Math.min(n, b.get(k) ?? 0);
  return (2 * common) / total;
}

/** A line at a window's edge belongs to the match when most of its tokens occur in the block. */
function related(line: string, want: Map<string, number>): boolean {
  const tokens = tokensOf(line);
  return tokens.length > 0 && tokens.filter((t) => want.has(t)).length * 2 > tokens.length;
}

function flatten(symbols: readonly SymbolInfo[]): SymbolInfo[][] {
  // Sibling lists: a block may hold several neighbouring functions (a run of siblings).
  const lists: SymbolInfo[][] = [];
  const walk = (level: readonly SymbolInfo[]) => {
    if (level.length === 0) return;
    lists.push([...level].sort((a, b) => a.range.startLine - b.range.startLine));
    for (const s of level) walk(s.children ?? []);
  };
  walk(symbols);
  return lists;
}

/** Longest run of neighbouring symbols tried as one candidate. */
const MAX_SIBLING_RUN = 8;

/**
 * The range of `lines` the code block most likely rewrites: runs of neighbouring symbols and
 * windows of the block's length, scored by the share of common tokens.
 * A symbol wins a tie against a window. Null when nothing reaches MIN_MATCH_SCORE.
 */
export function matchBlock(
  block: readonly string[],
  lines: readonly string[],
  symbols: readonly SymbolInfo[],
): BlockMatch | null {
  const want = multiset(block);
  if (sizeOf(want) === 0) return null;
  let best: BlockMatch | null = null;
  const consider = (candidate: BlockMatch) => {
    if (!best || candidate.score > best.score + 1e-9) best = candidate;
  };
  for (const list of flatten(symbols)) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i; j < Math.min(list.length, i + MAX_SIBLING_RUN); j++) {
        const range = { startLine: list[i]!.range.startLine, endLine: list[j]!.range.endLine };
        const score = dice(want, multiset(lines.slice(range.startLine, range.endLine + 1)));
        const label =
          i === j ? `${list[i]!.kind.toLowerCase()} ${list[i]!.name}` : `${list[i]!.name} … ${list[j]!.name}`;
        consider({ range, score, source: "symbol", label });
      }
    }
  }
  // Windows of the block's non-blank length, slid over the file's non-blank lines.
  const nonBlank = lines.flatMap((l, i) => (l.trim() === "" ? [] : [i]));
  const width = Math.min(block.filter((l) => l.trim() !== "").length, nonBlank.length);
  for (let s = 0; s + width <= nonBlank.length && width > 0; s++) {
    let first = nonBlank[s]!;
    let last = nonBlank[s + width - 1]!;
    // Lines at the window's edges that are not in the block are not part of the match.
    while (first < last && !related(lines[first]!, want)) first++;
    while (last > first && !related(lines[last]!, want)) last--;
    consider({
      range: { startLine: first, endLine: last },
      score: dice(want, multiset(lines.slice(first, last + 1))),
      source: "lines",
      label: `lines ${first + 1}-${last + 1}`,
    });
  }
  const found = best as BlockMatch | null;
  return found && found.score >= MIN_MATCH_SCORE ? found : null;
}
