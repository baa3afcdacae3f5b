/**
 * Which lines an edit rewrites: the selection (whole lines); else the innermost function-like
 * symbol around the cursor (document symbols given as plain data); else the paragraph of code
 * around the cursor (lines up to the nearest blank lines).
 */

/** 0-based, inclusive line span. */
export interface LineRange {
  startLine: number;
  endLine: number;
}

export interface Position {
  line: number;
  character: number;
}

/** A document symbol as plain data (VS Code's DocumentSymbol, reduced). */
export interface SymbolInfo {
  name: string;
  /** VS Code's SymbolKind name, e.g. "Function", "Method", "Class". */
  kind: string;
  range: LineRange;
  children?: readonly SymbolInfo[];
}

export interface RangeChoice {
  range: LineRange;
  source: "selection" | "symbol" | "paragraph";
  /** Shown to the user: "selection", "function add", "lines 4-9". */
  label: string;
}

/** Kinds whose body is a natural unit to rewrite; tried before any other enclosing symbol. */
const BLOCK_KINDS = new Set([
  "Function",
  "Method",
  "Constructor",
  "Class",
  "Interface",
  "Struct",
  "Enum",
  "Module",
  "Namespace",
]);

export interface RangeInput {
  lines: readonly string[];
  /** The primary selection, or null/empty when nothing is selected. */
  selection: { start: Position; end: Position } | null;
  cursor: Position;
  symbols: readonly SymbolInfo[];
}

const isBlank = (line: string | undefined): boolean => line === undefined || line.trim() === "";

export function chooseEditRange(input: RangeInput): RangeChoice | null {
  const { selection } = input;
  if (
    selection &&
    (selection.start.line !== selection.end.line || selection.start.character !== selection.end.character)
  ) {
    // A selection ending at column 0 of a later line does not include that line.
    const endLine =
      selection.end.character === 0 && selection.end.line > selection.start.line
        ? selection.end.line - 1
        : selection.end.line;
    return { range: { startLine: selection.start.line, endLine }, source: "selection", label: "selection" };
  }
  const symbol = enclosingSymbol(input.symbols, input.cursor.line);
  if (symbol)
    return { range: { ...symbol.range }, source: "symbol", label: `${symbol.kind.toLowerCase()} ${symbol.name}` };
  const paragraph = paragraphAt(input.lines, input.cursor.line);
  if (!paragraph) return null;
  return { range: paragraph, source: "paragraph", label: `lines ${paragraph.startLine + 1}-${paragraph.endLine + 1}` };
}

/** The innermost block-like symbol containing `line`; else the innermost multi-line symbol. */
export function enclosingSymbol(symbols: readonly SymbolInfo[], line: number): SymbolInfo | null {
  const chain: SymbolInfo[] = [];
  let level: readonly SymbolInfo[] = symbols;
  for (;;) {
    const hit = level.find((s) => s.range.startLine <= line && line <= s.range.endLine);
    if (!hit) break;
    chain.push(hit);
    level = hit.children ?? [];
  }
  const multiLine = chain.filter((s) => s.range.endLine > s.range.startLine);
  return [...multiLine].reverse().find((s) => BLOCK_KINDS.has(s.kind)) ?? multiLine.at(-1) ?? null;
}

/** Non-blank lines around `line`, bounded by blank lines; null on a blank line. */
export function paragraphAt(lines: readonly string[], line: number): LineRange | null {
  if (isBlank(lines[line])) return null;
  let startLine = line;
  let endLine = line;
  while (startLine > 0 && !isBlank(lines[startLine - 1])) startLine--;
  while (endLine + 1 < lines.length && !isBlank(lines[endLine + 1])) endLine++;
  return { startLine, endLine };
}
