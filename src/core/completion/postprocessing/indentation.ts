/** Makes the completion's indentation follow the document's tabs/spaces style. */
import type { IndentStyle } from "../types";
import { indentWidth, leadingWhitespace } from "../text";

export function reindentLine(line: string, indent: IndentStyle): string {
  const ws = leadingWhitespace(line);
  if (ws.length === 0) return line;
  const wrongChar = indent.useTabs ? " ".repeat(indent.size) : "\t";
  if (!ws.includes(wrongChar)) return line;
  const cols = indentWidth(line, indent.size);
  const lead = indent.useTabs
    ? "\t".repeat(Math.floor(cols / indent.size)) + " ".repeat(cols % indent.size)
    : " ".repeat(cols);
  return lead + line.slice(ws.length);
}

/** Re-indents every line but the first, which continues the cursor line. */
export function reindentLines(lines: readonly string[], indent: IndentStyle): string[] {
  return lines.map((line, i) => (i === 0 ? line : reindentLine(line, indent)));
}
