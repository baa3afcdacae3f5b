/**
 * Where a multi-line completion ends. A block model: the blocks open at the cursor (brackets and
 * keyword blocks, by kind and nesting), which of them the document already closes (on the cursor
 * line, say an auto-closed `}`, or further below), and the indentation of the block the cursor is in.
 */
import { indentWidth, isBlank } from "../text";
import { endsWithBlockOpener, scanLine, scanLines, type LanguageSyntax } from "./syntax";

/** A block opened before the cursor and not closed before it. */
export interface OpenBlock {
  /** What closes it: `)`, `]`, `}`, `end`, `fi`... */
  kind: string;
  /** Indentation of the line that opened it. */
  indent: number;
  /** Opened on the cursor line (`console.log(|`). */
  onCursorLine: boolean;
  /** The text right of the cursor closes it (an auto-closed bracket). */
  closedOnCursorLine: boolean;
  /** A line below the cursor closes it. */
  closedBelow: boolean;
}

export interface BlockContext {
  /** Text of the cursor line before the cursor. */
  cursorLine: string;
  syntax: LanguageSyntax;
  tabSize: number;
  /** Open blocks at the cursor, outermost first (see openBlocks). */
  blocks: readonly OpenBlock[];
  /** The cursor is inside a multi-line string with this delimiter (`"""`), else "". */
  inTriple: string;
  /** Text of the cursor line after the cursor. */
  rightText?: string;
}

export interface Cut {
  lines: string[];
  cut: boolean;
}

export interface BlockCut extends Cut {
  /** How many of the closers right of the cursor the kept lines close themselves. */
  closedRight: number;
}

interface Closer {
  kind: string;
  indent: number;
  onCursorLine: boolean;
}

/**
 * The blocks open at the cursor and which of them the suffix closes. A closer below the cursor
 * line is paired by indentation first (a `}` at column 0 closes the function, not the `if` inside
 * it), then innermost-first; closers right of the cursor pair innermost-first.
 */
export interface OpenBlocks {
  blocks: OpenBlock[];
  inTriple: string;
}

export function openBlocks(prefix: string, suffix: string, syntax: LanguageSyntax, tabSize: number): OpenBlocks {
  const prefixLines = prefix.split("\n");
  const blocks: OpenBlock[] = [];
  const prefixScans = scanLines(prefixLines, syntax);
  prefixScans.forEach((scan, i) => {
    const indent = indentWidth(prefixLines[i], tabSize);
    const onCursorLine = i === prefixLines.length - 1;
    for (const e of scan.events) {
      if (e.open) blocks.push({ kind: e.kind, indent, onCursorLine, closedOnCursorLine: false, closedBelow: false });
      else {
        let k = blocks.length - 1;
        while (k >= 0 && blocks[k].kind !== e.kind) k--;
        if (k >= 0) blocks.length = k;
      }
    }
  });
  const inTriple = prefixScans[prefixScans.length - 1]?.openTriple ?? "";

  // Closers are paired as they are found, so the scan stops once every open block is paired.
  let j = blocks.length - 1;
  const pair = (c: Closer) => {
    if (c.onCursorLine) {
      if (blocks[j].kind === c.kind) blocks[j--].closedOnCursorLine = true;
      return;
    }
    let k = j;
    while (k >= 0 && !(blocks[k].kind === c.kind && blocks[k].indent === c.indent)) k--;
    if (k < 0) {
      k = j;
      while (k >= 0 && blocks[k].kind !== c.kind) k--;
      if (k < 0) return;
    }
    blocks[k].closedBelow = true;
    j = k - 1;
  };
  let depth = 0;
  let triple = inTriple;
  let lineStart = 0;
  for (let i = 0; j >= 0 && lineStart <= suffix.length; i++) {
    const nl = suffix.indexOf("\n", lineStart);
    const line = suffix.slice(lineStart, nl < 0 ? suffix.length : nl);
    lineStart = nl < 0 ? suffix.length + 1 : nl + 1;
    const scan = scanLine(line, syntax, triple);
    triple = scan.openTriple;
    for (const e of scan.events) {
      if (e.open) depth++;
      else if (depth > 0) depth--;
      else pair({ kind: e.kind, indent: indentWidth(line, tabSize), onCursorLine: i === 0 });
      if (j < 0) break;
    }
  }
  return { blocks, inTriple };
}

/** Lines of a new line's text must be indented at least this much to stay in the block. */
export function blockIndent(
  lines: readonly string[],
  ctx: Pick<BlockContext, "cursorLine" | "syntax" | "tabSize">,
): number {
  if (isBlank(ctx.cursorLine)) {
    if (!isBlank(lines[0] ?? "")) return indentWidth(ctx.cursorLine + lines[0], ctx.tabSize);
    const first = lines.find((l) => !isBlank(l));
    return first === undefined ? 0 : indentWidth(first, ctx.tabSize);
  }
  // The first line continues the cursor line: `if (x) ` + `{` opens a block, `foo(` + `1);` closes one.
  const opened = ctx.cursorLine + (lines.length > 1 ? (lines[0] ?? "") : "");
  return indentWidth(ctx.cursorLine, ctx.tabSize) + (endsWithBlockOpener(opened, ctx.syntax) ? 1 : 0);
}

const keep = (lines: readonly string[], n: number, closedRight: number): BlockCut => ({
  lines: lines.slice(0, n),
  cut: n < lines.length,
  closedRight,
});

export function cutAtBlockEnd(lines: readonly string[], ctx: BlockContext): BlockCut {
  const scans = scanLines(lines, ctx.syntax, ctx.inTriple);
  // Inside a docstring: the suggestion is the string, up to the line that closes it.
  if (ctx.inTriple) {
    const closes = scans.findIndex((s) => s.openTriple === "");
    if (closes < 0) return { lines: [...lines], cut: false, closedRight: 0 };
    // `"""|"""`: the closing quotes are there already; a line that is only them is dropped.
    const closedRight = ctx.rightText?.trim() === ctx.inTriple;
    if (closedRight && lines[closes].trim() === ctx.inTriple) return keep(lines, closes, 0);
    return keep(lines, closes + 1, closedRight ? 1 : 0);
  }
  let minIndent = blockIndent(lines, ctx);
  const blocks = ctx.blocks;
  let depth = 0; // blocks the completion opened itself
  let consumed = 0; // blocks opened before the cursor that the completion closed
  let closedRight = 0;
  let endWhenBalanced = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const events = scans[i].events;
    // A line starting with a closer is judged by what it closes, not by its (lower) indentation.
    const startsWithCloser = events.length > 0 && !events[0].open && isBlank(line.slice(0, events[0].at));
    if (i > 0 && !isBlank(line) && !startsWithCloser && indentWidth(line, ctx.tabSize) < minIndent)
      return keep(lines, i, closedRight);
    let stopAfter = false;
    for (let e = 0; e < events.length; e++) {
      const ev = events[e];
      if (ev.open) {
        depth++;
        continue;
      }
      if (depth > 0) {
        if (--depth === 0 && endWhenBalanced) stopAfter = true;
        continue;
      }
      // The line closes a block opened before the cursor.
      const block = blocks[blocks.length - 1 - consumed];
      if (!block || block.kind !== ev.kind) return keep(lines, i, closedRight);
      consumed++;
      if (block.closedOnCursorLine) {
        // The first line finishing `foo(|)` overlaps the auto-closed `)` (resolved later). A later
        // line that starts with the closer would duplicate it: the body ends before that line.
        if (i === 0) {
          closedRight++;
          continue;
        }
        if (isBlank(line.slice(0, ev.at))) return keep(lines, i, closedRight);
        closedRight++;
        return keep(lines, i + 1, closedRight);
      }
      if (block.closedBelow) return keep(lines, i, closedRight);
      // Finishing the cursor line's own `(` is the statement going on, not the block ending.
      if (i === 0 && block.onCursorLine) continue;
      const reopens = events.slice(e + 1).some((x) => x.open);
      // `} else {` / `else`: the completion would go on into a new branch; stop before it.
      if (ev.reopen || (reopens && (ev.kind === "}" || !")]".includes(ev.kind)))) return keep(lines, i, closedRight);
      if (reopens) {
        // `) {` after multi-line parameters: the body follows; end once it is closed.
        minIndent = indentWidth(line, ctx.tabSize);
        endWhenBalanced = true;
        continue;
      }
      return keep(lines, i + 1, closedRight);
    }
    if (stopAfter) return keep(lines, i + 1, closedRight);
  }
  return { lines: [...lines], cut: false, closedRight };
}
