/** Just enough lexing to count brackets outside strings and line comments. */

export interface LanguageSyntax {
  lineComments: readonly string[];
  /** Characters that delimit one-line string literals. */
  quotes: string;
  /** Rust: `'` starts a char literal only when one closes it (`'a'`), otherwise it is a lifetime. */
  lifetimes?: boolean;
}

const C_LIKE: LanguageSyntax = { lineComments: ["//"], quotes: "\"'`" };
const HASH: LanguageSyntax = { lineComments: ["#"], quotes: "\"'" };
const DASH: LanguageSyntax = { lineComments: ["--"], quotes: "\"'" };
const BY_LANGUAGE: Record<string, LanguageSyntax> = {
  rust: { lineComments: ["//"], quotes: '"', lifetimes: true },
  python: HASH,
  shellscript: HASH,
  ruby: HASH,
  perl: HASH,
  r: HASH,
  yaml: HASH,
  toml: HASH,
  makefile: HASH,
  dockerfile: HASH,
  powershell: HASH,
  coffeescript: HASH,
  elixir: HASH,
  julia: HASH,
  nim: HASH,
  lua: DASH,
  sql: DASH,
  haskell: DASH,
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

const OPENERS = "([{";
const CLOSERS = ")]}";

export interface LineScan {
  /** Net bracket depth change over the line. */
  delta: number;
  /** Lowest depth reached (relative to 0 at line start); < 0 means it closes outer brackets. */
  minDepth: number;
  /** The line ends inside a string literal. */
  openString: boolean;
  /** Column where a line comment starts, or -1. */
  commentAt: number;
}

export function scanLine(line: string, syntax: LanguageSyntax): LineScan {
  let depth = 0;
  let minDepth = 0;
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = "";
      continue;
    }
    if (syntax.lineComments.some((c) => line.startsWith(c, i))) return { delta: depth, minDepth, openString: false, commentAt: i };
    if (ch === "'" && syntax.lifetimes) {
      const m = /^'(?:\\.[^']*|[^'\\])'/.exec(line.slice(i));
      if (m) i += m[0].length - 1;
      continue;
    }
    if (syntax.quotes.includes(ch)) {
      quote = ch;
      continue;
    }
    if (OPENERS.includes(ch)) depth++;
    else if (CLOSERS.includes(ch)) minDepth = Math.min(minDepth, --depth);
  }
  return { delta: depth, minDepth, openString: quote !== "", commentAt: -1 };
}

/** Unmatched closing brackets in a text (e.g. the suffix closes the blocks the cursor is in). */
export function unmatchedClosers(text: string, syntax: LanguageSyntax, maxChars = 20_000): number {
  let depth = 0;
  let minDepth = 0;
  for (const line of text.slice(0, maxChars).split("\n")) {
    const scan = scanLine(line, syntax);
    minDepth = Math.min(minDepth, depth + scan.minDepth);
    depth += scan.delta;
  }
  return 0 - minDepth;
}

/** The line (before its comment) ends with something that opens an indented block. */
export function endsWithBlockOpener(line: string, syntax: LanguageSyntax): boolean {
  const scan = scanLine(line, syntax);
  const code = (scan.commentAt >= 0 ? line.slice(0, scan.commentAt) : line).trimEnd();
  return /(?:[{([:]|=>)$/.test(code);
}
