/** Line ranges given as text ("12-40", "7"), and cutting them out of a file. */
import { splitLines } from "./chunker";
import type { LineSpan } from "./prompts";

/** Parses "A-B" or "A" (1-based, inclusive); null when the text is not a valid range. */
export function parseLineRange(text: string): LineSpan | null {
  const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  if (!match) {
    return null;
  }
  const startLine = Number(match[1]);
  const endLine = match[2] === undefined ? startLine : Number(match[2]);
  if (startLine < 1 || endLine < startLine || !Number.isSafeInteger(endLine)) {
    return null;
  }
  return { startLine, endLine };
}

/**
 * The text of lines `range` of `text` (with their line breaks). The end is clamped to the last
 * line; a start past the end is an error (a RangeError naming the file's length).
 */
export function sliceLines(text: string, range: LineSpan): { text: string; span: LineSpan } {
  const lines = splitLines(text);
  if (range.startLine > lines.length) {
    throw new RangeError(
      `Line ${range.startLine} is past the end (the file has ${lines.length} line${lines.length === 1 ? "" : "s"}).`,
    );
  }
  const endLine = Math.min(range.endLine, lines.length);
  return { text: lines.slice(range.startLine - 1, endLine).join(""), span: { startLine: range.startLine, endLine } };
}
