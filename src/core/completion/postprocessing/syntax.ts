/**
 * Just enough lexing to follow blocks: brackets outside strings and line comments, and, per
 * language, keyword-delimited blocks (see keywordBlocks.ts) and triple-quoted strings.
 */
import { KEYWORD_BLOCKS, keywordEvents, type KeywordRule } from "./keywordBlocks";

export interface LanguageSyntax {
  lineComments: readonly string[];
  /** Characters that delimit one-line string literals. */
  quotes: string;
  /** Rust: `'` starts a char literal only when one closes it (`'a'`), otherwise it is a lifetime. */
  lifetimes?: boolean;
  /** Multi-line string delimiters (Python `"""`): a line may end inside one. */
  tripleQuotes?: readonly string[];
  /** Keyword-delimited blocks (Ruby `def ... end`, shell `if ... fi`). */
  keywords?: readonly KeywordRule[];
}

const C_LIKE: LanguageSyntax = { lineComments: ["//"], quotes: "\"'`" };
const HASH: LanguageSyntax = { lineComments: ["#"], quotes: "\"'" };
const DASH: LanguageSyntax = { lineComments: ["--"], quotes: "\"'" };
const TRIPLE: readonly string[] = ['"""', "'''"];
const TRIPLE_DOUBLE: readonly string[] = ['"""'];
const BY_LANGUAGE: Record<string, LanguageSyntax> = {
  rust: { lineComments: ["//"], quotes: '"', lifetimes: true },
  python: { ...HASH, tripleQuotes: TRIPLE },
  shellscript: { ...HASH, keywords: KEYWORD_BLOCKS.shellscript },
  ruby: { ...HASH, keywords: KEYWORD_BLOCKS.ruby },
  crystal: { ...HASH, keywords: KEYWORD_BLOCKS.crystal },
  perl: HASH,
  r: HASH,
  yaml: HASH,
  toml: { ...HASH, tripleQuotes: TRIPLE },
  makefile: HASH,
  dockerfile: HASH,
  powershell: HASH,
  coffeescript: HASH,
  elixir: { ...HASH, keywords: KEYWORD_BLOCKS.elixir, tripleQuotes: TRIPLE_DOUBLE },
  julia: { ...HASH, keywords: KEYWORD_BLOCKS.julia, tripleQuotes: TRIPLE_DOUBLE },
  nim: HASH,
  lua: { ...DASH, keywords: KEYWORD_BLOCKS.lua },
  sql: DASH,
  haskell: DASH,
  kotlin: { ...C_LIKE, tripleQuotes: TRIPLE_DOUBLE },
  scala: { ...C_LIKE, tripleQuotes: TRIPLE_DOUBLE },
  swift: { ...C_LIKE, tripleQuotes: TRIPLE_DOUBLE },
  java: { ...C_LIKE, tripleQuotes: TRIPLE_DOUBLE },
  json: { lineComments: [], quotes: '"' },
  jsonc: { lineComments: ["//"], quotes: '"' },
  html: { lineComments: [], quotes: "\"'" },
  xml: { lineComments: [], quotes: "\"'" },
  markdown: { lineComments: [], quotes: "" },
  plaintext: { lineComments: [], quotes: "" },
  php: { lineComments: ["//", "#"], quotes: "\"'`" },
};

export function syntaxFor(languageId: string): LanguageSyntax {
  return BY_LANGUAGE[languageId] ?? C_LIKE;
}

const CLOSERS = ")]}";
const MATCHING: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

/** A block opening or closing on a line: a bracket, or a keyword (`def` ... `end`). */
export interface BlockEvent {
  open: boolean;
  /** What closes the block: `)`, `]`, `}`, or a keyword such as `end`, `fi`. */
  kind: string;
  /** Column in the line. */
  at: number;
  /** A keyword that closes a block and opens the next (`else`, `elsif`, `when`). */
  reopen?: boolean;
}

export interface LineScan {
  /** Net block depth change over the line. */
  delta: number;
  /** Lowest depth reached (relative to 0 at line start); < 0 means it closes outer blocks. */
  minDepth: number;
  /** The line ends inside a one-line string literal. */
  openString: boolean;
  /** The line ends inside a multi-line string: its delimiter (`"""`), else "". */
  openTriple: string;
  /** Column where a line comment starts, or -1. */
  commentAt: number;
  /** Bracket and keyword events, in order. */
  events: BlockEvent[];
}

function blank(n: number): string {
  return " ".repeat(n);
}

/**
 * Scans one line. `inTriple` is the multi-line string delimiter the line starts inside (the
 * previous line's `openTriple`), or "".
 */
export function scanLine(line: string, syntax: LanguageSyntax, inTriple = ""): LineScan {
  const events: BlockEvent[] = [];
  let quote = "";
  let triple = inTriple;
  let commentAt = -1;
  // Columns inside strings, blanked out of the line for keyword matching.
  const masked: [number, number][] = [];
  let maskFrom = triple ? 0 : -1;
  const commentStarts = syntax.lineComments.map((c) => c[0]).join("");
  const tripleStarts = (syntax.tripleQuotes ?? []).map((t) => t[0]).join("");
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (triple || quote) {
      if (ch === "\\") i++;
      else if (triple && line.startsWith(triple, i)) {
        i += triple.length - 1;
        triple = "";
        masked.push([maskFrom, i + 1]);
      } else if (ch === quote) {
        quote = "";
        masked.push([maskFrom, i + 1]);
      }
      continue;
    }
    if (commentStarts.includes(ch) && syntax.lineComments.some((c) => line.startsWith(c, i))) {
      commentAt = i;
      break;
    }
    const tq = tripleStarts.includes(ch) ? syntax.tripleQuotes?.find((t) => line.startsWith(t, i)) : undefined;
    if (tq) {
      triple = tq;
      maskFrom = i;
      i += tq.length - 1;
      continue;
    }
    if (ch === "'" && syntax.lifetimes) {
      const m = /^'(?:\\.[^']*|[^'\\])'/.exec(line.slice(i, i + 12));
      if (m) {
        masked.push([i, i + m[0].length]);
        i += m[0].length - 1;
      }
      continue;
    }
    if (syntax.quotes.includes(ch)) {
      quote = ch;
      maskFrom = i;
      continue;
    }
    if (ch === "(" || ch === "[" || ch === "{") events.push({ open: true, kind: MATCHING[ch], at: i });
    else if (ch === ")" || ch === "]" || ch === "}") events.push({ open: false, kind: ch, at: i });
  }
  if (syntax.keywords) {
    if (triple || quote) masked.push([maskFrom, line.length]);
    let code = commentAt >= 0 ? line.slice(0, commentAt) : line;
    for (const [from, to] of masked)
      code = code.slice(0, from) + blank(Math.max(0, Math.min(to, code.length) - from)) + code.slice(to);
    addKeywordEvents(code, syntax.keywords, events);
  }
  let depth = 0;
  let minDepth = 0;
  for (const e of events) {
    depth += e.open ? 1 : -1;
    minDepth = Math.min(minDepth, depth);
  }
  return { delta: depth, minDepth, openString: quote !== "", openTriple: triple, commentAt, events };
}

function addKeywordEvents(code: string, rules: readonly KeywordRule[], events: BlockEvent[]): void {
  const brackets = [...events];
  const depthAt = (col: number) => {
    let d = 0;
    for (const e of brackets) {
      if (e.at >= col) break;
      d += e.open ? 1 : -1;
    }
    return d;
  };
  for (const w of keywordEvents(code, rules, depthAt)) {
    if (w.role !== "open") events.push({ open: false, kind: w.kind, at: w.at, reopen: w.role === "reopen" });
    if (w.role !== "close") events.push({ open: true, kind: w.kind, at: w.at });
  }
  events.sort((a, b) => a.at - b.at || (a.open ? 1 : 0) - (b.open ? 1 : 0));
}

/** Scans lines in order, carrying multi-line strings from one line to the next. */
export function scanLines(lines: readonly string[], syntax: LanguageSyntax, inTriple = ""): LineScan[] {
  const out: LineScan[] = [];
  let triple = inTriple;
  for (const line of lines) {
    const scan = scanLine(line, syntax, triple);
    triple = scan.openTriple;
    out.push(scan);
  }
  return out;
}

/** Unmatched closing brackets in a text (e.g. the suffix closes the blocks the cursor is in). */
export function unmatchedClosers(text: string, syntax: LanguageSyntax, maxChars = 20_000): number {
  let depth = 0;
  let minDepth = 0;
  for (const scan of scanLines(text.slice(0, maxChars).split("\n"), syntax)) {
    minDepth = Math.min(minDepth, depth + scan.minDepth);
    depth += scan.delta;
  }
  return 0 - minDepth;
}

/** The line (before its comment) ends with something that opens an indented block. */
export function endsWithBlockOpener(line: string, syntax: LanguageSyntax): boolean {
  const scan = scanLine(line, syntax);
  const code = (scan.commentAt >= 0 ? line.slice(0, scan.commentAt) : line).trimEnd();
  if (/(?:[{([:]|=>)$/.test(code)) return true;
  // `def fibonacci(n)`, `if [ -f x ]; then`, `items.each do |x|`: a keyword block left open.
  return (
    syntax.keywords !== undefined && scan.delta > 0 && scan.events.some((e) => e.open && !CLOSERS.includes(e.kind))
  );
}

/**
 * Text that is only closers (brackets, quotes, `>`, `;`, `,`: what auto-closing leaves right of the
 * cursor) with at least one closing bracket: a body can go before it (`{|}`, `(|)`, `[|];`). A lone
 * `;` or `>` closes no block, so a second line would only push it down.
 */
export function isOnlyClosers(text: string): boolean {
  return /^[\s)\]}>"'`;,]*$/.test(text) && /[)\]}]/.test(text);
}
