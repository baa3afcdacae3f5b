/**
 * Turns raw model output into ghost text, or rejects it. Works on complete lines only when
 * `final` is false (streaming), and says whether more output could still change the result.
 */
import type { Eol, GhostText, IndentStyle } from "../types";
import {
  fromLf,
  isBlank,
  leadingWhitespace,
  lineAfterCursor,
  lineBeforeCursor,
  previousNonBlankLine,
  toLf,
} from "../text";
import { cutAtBlockEnd, openBlocks, type Cut, type OpenBlocks } from "./blockEnd";
import { completionMode, type CompletionMode } from "./completionMode";
import { cutAtLoopingLine, cutAtRepeatedLine, cutAtSimilarRepeats, sameCodeLine } from "./filters";
import { reindentLines } from "./indentation";
import { cutAtSuffixOverlap, nextNonBlankLine, resolveRightOverlap, rightClosersEnd } from "./overlap";
import { STOP_MARKERS, cutAtStopMarker } from "./stopMarkers";
import { syntaxFor } from "./syntax";

export interface PostprocessContext {
  /** Document text before the cursor (any EOL; a few lines are enough, more helps nothing). */
  prefix: string;
  /** Document text after the cursor; its unmatched brackets tell which blocks are closed below. */
  suffix: string;
  languageId: string;
  eol: Eol;
  indent: IndentStyle;
  maxLines: number;
  maxChars: number;
  stopMarkers?: readonly string[];
  /** Decided before generation (see completionMode); computed here when absent. */
  mode?: CompletionMode;
  /** The blocks open at the cursor (see openBlocks): computed once per request, not per chunk. */
  blocks?: OpenBlocks;
}

export type RejectReason = "empty" | "repeatsLineAbove" | "repeatsLineBelow" | "repetition";

export type PostprocessResult =
  /** `complete`: further output cannot change this result, generation may stop. */
  | { kind: "ghost"; ghost: GhostText; complete: boolean }
  | { kind: "rejected"; reason: RejectReason }
  /** Streaming only: no complete line to show yet. */
  | { kind: "pending" };

function applyCut(state: { lines: string[]; complete: boolean }, cut: Cut): void {
  state.lines = cut.lines;
  if (cut.cut) state.complete = true;
}

/** While streaming (`final` false) reaching a cap already settles the result. */
function capLength(lines: string[], maxLines: number, maxChars: number, final: boolean): Cut {
  let out = lines.slice(0, maxLines);
  let cut = final ? lines.length > maxLines : lines.length >= maxLines;
  let total = 0;
  for (let i = 0; i < out.length; i++) {
    total += out[i].length + (i > 0 ? 1 : 0);
    if (total > maxChars) {
      cut = true;
      out = i === 0 ? [out[0].slice(0, maxChars)] : out.slice(0, i);
      break;
    }
  }
  return { lines: out, cut };
}

export function postprocessCompletion(
  raw: string,
  ctx: PostprocessContext,
  options: { final?: boolean } = {},
): PostprocessResult {
  const stop = cutAtStopMarker(raw, ctx.stopMarkers ?? STOP_MARKERS);
  const final = (options.final ?? true) || stop.found;
  let text = toLf(stop.text);
  if (!final) {
    const lastNl = text.lastIndexOf("\n");
    if (lastNl < 0) return { kind: "pending" };
    text = text.slice(0, lastNl);
  }

  const prefix = toLf(ctx.prefix);
  const suffix = toLf(ctx.suffix);
  const syntax = syntaxFor(ctx.languageId);
  const cursorLine = lineBeforeCursor(prefix);
  const rightText = lineAfterCursor(suffix);
  const mode = ctx.mode ?? completionMode(prefix, suffix, syntax);
  const state = { lines: reindentLines(text.split("\n"), ctx.indent), complete: stop.found };
  // Seam: after `let x = ` a completion's own leading space would make two.
  if (!isBlank(cursorLine) && /[ \t]$/.test(cursorLine)) state.lines[0] = state.lines[0].replace(/^[ \t]+/, "");

  let closedRight = 0;
  if (mode === "singleLine") {
    if (state.lines.length > 1 || !final) state.complete = true;
    state.lines = [state.lines[0]];
  } else {
    const { blocks, inTriple } = ctx.blocks ?? openBlocks(prefix, suffix, syntax, ctx.indent.size);
    const block = cutAtBlockEnd(state.lines, {
      cursorLine,
      syntax,
      tabSize: ctx.indent.size,
      blocks,
      inTriple,
      rightText,
    });
    applyCut(state, block);
    closedRight = block.closedRight;
    applyCut(state, cutAtRepeatedLine(state.lines, cursorLine));
    applyCut(state, cutAtSuffixOverlap(state.lines, suffix, syntax));
    applyCut(state, cutAtSimilarRepeats(state.lines, cursorLine, ctx.maxLines));
  }
  const loop = cutAtLoopingLine(state.lines);
  applyCut(state, loop);
  applyCut(state, capLength(state.lines, ctx.maxLines, ctx.maxChars, final));

  // Trailing blank lines add nothing to a suggestion.
  let lines = state.lines.length > 0 ? state.lines : [""];
  while (lines.length > 1 && isBlank(lines[lines.length - 1])) lines = lines.slice(0, -1);
  if (lines.every(isBlank)) {
    if (loop.cut) return { kind: "rejected", reason: "repetition" };
    return state.complete || final ? { kind: "rejected", reason: "empty" } : { kind: "pending" };
  }

  let replaceRight = 0;
  const last = lines.length - 1;
  if (lines.length === 1) {
    // One line next to text right of the cursor: inserted before it or replacing it. Trailing
    // whitespace plays no part in that, and stays only where code follows (`sum(a, |b)`).
    const trimmed = lines[0].trimEnd();
    const resolved = resolveRightOverlap(cursorLine, trimmed, rightText, syntax);
    const after = rightText.slice(resolved.replaceRight);
    const keepSpace = resolved.text === trimmed && /^[\w"'`([{]/.test(after);
    lines = [keepSpace ? lines[0] : resolved.text];
    replaceRight = resolved.replaceRight;
  } else {
    lines[last] = lines[last].trimEnd();
    if (!isBlank(rightText)) {
      if (closedRight > 0) {
        // The completion closes what the auto-closed text closed: it replaces that text.
        replaceRight = rightClosersEnd(rightText, closedRight, syntax);
        const rest = rightText.slice(replaceRight).trim();
        if (rest && lines[last].endsWith(rest)) replaceRight = rightText.trimEnd().length;
      } else {
        // The body goes before the closers, which land on their own line at the cursor line's indent.
        lines = [...lines, leadingWhitespace(cursorLine)];
      }
    }
  }

  // With the multi-line case's leading newline, the first code line is lines[1].
  const firstIsNew = isBlank(lines[0]) && lines.length > 1;
  const firstLine = firstIsNew
    ? lines.find((l) => !isBlank(l))!
    : cursorLine + lines[0] + rightText.slice(replaceRight);
  const above = firstIsNew && !isBlank(cursorLine) ? cursorLine : previousNonBlankLine(prefix);
  if (sameCodeLine(firstLine, above)) return { kind: "rejected", reason: "repeatsLineAbove" };
  if (!firstIsNew && sameCodeLine(firstLine, nextNonBlankLine(suffix)))
    return { kind: "rejected", reason: "repeatsLineBelow" };

  return {
    kind: "ghost",
    ghost: { text: fromLf(lines.join("\n"), ctx.eol), replaceRight },
    complete: state.complete || final,
  };
}
