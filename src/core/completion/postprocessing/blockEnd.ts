/**
 * Where a multi-line completion ends: at a line dedented below the block the cursor is in, or
 * at a line that closes a bracket opened before the cursor.
 */
import { indentWidth, isBlank } from "../text";
import { endsWithBlockOpener, scanLine, type LanguageSyntax } from "./syntax";

export interface BlockContext {
  /** Text of the cursor line before the cursor. */
  cursorLine: string;
  syntax: LanguageSyntax;
  tabSize: number;
  /** Unmatched closing brackets after the cursor: the enclosing blocks are already closed below. */
  suffixClosers: number;
}

export interface Cut {
  lines: string[];
  cut: boolean;
}

/** Lines of a new line's text must be indented at least this much to stay in the block. */
export function blockIndent(lines: readonly string[], ctx: BlockContext): number {
  if (isBlank(ctx.cursorLine)) {
    if (!isBlank(lines[0] ?? "")) return indentWidth(ctx.cursorLine + lines[0], ctx.tabSize);
    const first = lines.find((l) => !isBlank(l));
    return first === undefined ? 0 : indentWidth(first, ctx.tabSize);
  }
  return indentWidth(ctx.cursorLine, ctx.tabSize) + (endsWithBlockOpener(ctx.cursorLine, ctx.syntax) ? 1 : 0);
}

export function cutAtBlockEnd(lines: readonly string[], ctx: BlockContext): Cut {
  const minIndent = blockIndent(lines, ctx);
  let depth = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const scan = scanLine(line, ctx.syntax);
    if (depth + scan.minDepth < 0) {
      // The line closes a block opened before the cursor. Keep it only when nothing below
      // closes that block already and the line does not open a new one (`} else {`).
      const closes = -(depth + scan.minDepth);
      const reopens = depth + scan.delta >= 0;
      if (ctx.suffixClosers >= closes || reopens) return { lines: lines.slice(0, i), cut: true };
      return { lines: lines.slice(0, i + 1), cut: i + 1 < lines.length };
    }
    if (i > 0 && !isBlank(line) && indentWidth(line, ctx.tabSize) < minIndent) return { lines: lines.slice(0, i), cut: true };
    depth += scan.delta;
  }
  return { lines: [...lines], cut: false };
}
