/**
 * The chat's `@workspace` keyword search, the pure part: keywords from a question, hits (ripgrep's
 * match and context lines) turned into ranked snippets, and the best of them within a token budget.
 * The adapter (src/vscode/context/workspaceSearch.ts) runs the search itself: VS Code's bundled
 * ripgrep, or a findFiles + line scan fallback that feeds `scanText` below.
 */
import { estimateTokens, type TokenCounter } from "../util/tokenEstimate";

/** One line a searcher returned: a match, or a context line around one (as `rg --json -C`). */
export interface SearchLine {
  /** Workspace-relative path, forward slashes. */
  path: string;
  /** 1-based. */
  line: number;
  text: string;
  match: boolean;
}

export interface Snippet {
  path: string;
  startLine: number;
  endLine: number;
  text: string;
  score: number;
  /** The keywords its match lines contain (lower case, in keyword order). */
  keywords: string[];
}

export interface SearchSelection {
  keywords: string[];
  snippets: Snippet[];
  /** Snippets found but left out (budget or snippet count). */
  leftOut: number;
  /** Distinct files the searcher returned that the exclude rules dropped (never shown). */
  excludedFiles: number;
}

/** Lines of context above and below a match (the searcher is asked for the same). */
export const CONTEXT_LINES = 2;
export const MAX_KEYWORDS = 6;
export const MAX_SNIPPETS = 12;
/** A run of matches longer than this is cut into several snippets. */
export const MAX_SNIPPET_LINES = 24;
/** A minified line is cut to this many characters. */
export const MAX_LINE_CHARS = 240;
const MIN_KEYWORD_CHARS = 3;

/** Words of a question that would match everywhere (English and generic code words). */
const STOP_WORDS = new Set(
  (
    "the and for with this that these those from into onto are was were been being have has had not but " +
    "can could should would will shall may might must about above after again against all any because before " +
    "below between both does did doing done each few how its just more most other our out over own same " +
    "some such than then there their them they too under until very what when where which while who whom " +
    "why you your yours his her she him our ours also only like make makes made need needs want wants " +
    "please explain show tell find look see give use used uses using work works working get gets got " +
    "call calls called code file files function functions method methods class classes line lines " +
    "value values return returns true false null undefined const let var new import export default " +
    "thing things way here help does mean means happen happens"
  ).split(/\s+/),
);

const IDENTIFIER = /[A-Za-z_$][A-Za-z0-9_$]*/g;

/** Splits `parseHTTPConfig_v2` into parse, http, config, v2. */
export function identifierParts(identifier: string): string[] {
  return identifier
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[\s_$]+/)
    .filter((p) => p !== "");
}

function isCompound(identifier: string): boolean {
  return identifierParts(identifier).length > 1 || /\d/.test(identifier);
}

/**
 * The search terms of a question, lower case (the search is case-insensitive), most specific first:
 * quoted phrases, then identifiers that look like code (camelCase, snake_case, digits), then plain
 * words, then the parts of the compound identifiers. Stop words and words under 3 characters drop.
 */
export function searchKeywords(query: string, max = MAX_KEYWORDS): string[] {
  const phrases: string[] = [];
  for (const m of query.matchAll(/["“”'`]([^"“”'`\n]{3,80})["“”'`]/g)) {
    const phrase = m[1].trim();
    if (phrase.length >= MIN_KEYWORD_CHARS) phrases.push(phrase);
  }
  const identifiers = [...query.matchAll(IDENTIFIER)].map((m) => m[0]);
  const compound = identifiers.filter(isCompound);
  const plain = identifiers.filter((w) => !isCompound(w));
  const parts = compound.flatMap(identifierParts);
  const out: string[] = [];
  const add = (word: string) => {
    const w = word.toLowerCase();
    if (w.length < MIN_KEYWORD_CHARS || STOP_WORDS.has(w) || /^\d+$/.test(w) || out.includes(w)) return;
    out.push(w);
  };
  for (const w of [...phrases, ...compound, ...plain, ...parts]) add(w);
  return out.slice(0, max);
}

/** The names a line defines (`function foo`, `class Foo`, `def foo`, `const foo =`, ...), lower case. */
function definedNames(line: string): string[] {
  const names: string[] = [];
  const re =
    /\b(?:function\*?|class|interface|type|enum|struct|trait|def|fn|func|sub|module|namespace|const|let|var|val)\s+([A-Za-z_$][\w$]*)/g;
  for (const m of line.matchAll(re)) names.push(m[1].toLowerCase());
  return names;
}

function truncateLine(text: string): string {
  const t = text.replace(/\r?\n$/, "");
  return t.length > MAX_LINE_CHARS ? `${t.slice(0, MAX_LINE_CHARS)}…` : t;
}

/**
 * Match and context lines of one file's text, as `rg -i -F -C` would give them: for the fallback
 * searcher, which reads files itself. At most `maxMatches` matches.
 */
export function scanText(
  path: string,
  text: string,
  keywords: readonly string[],
  maxMatches = 50,
  context = CONTEXT_LINES,
): SearchLine[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop(); // The final line break ends a line.
  const lowered = keywords.map((k) => k.toLowerCase());
  const matched: number[] = [];
  for (let i = 0; i < lines.length && matched.length < maxMatches; i++) {
    const l = lines[i].toLowerCase();
    if (lowered.some((k) => l.includes(k))) matched.push(i);
  }
  const wanted = new Map<number, boolean>();
  for (const i of matched) {
    for (let j = Math.max(0, i - context); j <= Math.min(lines.length - 1, i + context); j++) {
      if (!wanted.has(j)) wanted.set(j, false);
    }
    wanted.set(i, true);
  }
  return [...wanted.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([i, match]) => ({ path, line: i + 1, text: lines[i], match }));
}

interface Window {
  start: number;
  end: number;
  matches: number[];
}

/** One file's windows: each match ± context, merged when they overlap or touch, at most MAX_SNIPPET_LINES long. */
function windows(matchLines: number[], lastLine: number, context: number): Window[] {
  const out: Window[] = [];
  for (const line of [...new Set(matchLines)].sort((a, b) => a - b)) {
    const start = Math.max(1, line - context);
    const end = Math.min(lastLine, line + context);
    const prev = out[out.length - 1];
    const fits = prev !== undefined && end - prev.start + 1 <= MAX_SNIPPET_LINES;
    if (prev && line <= prev.end) {
      prev.matches.push(line); // Already shown; its context below only if the snippet stays short.
      if (fits) prev.end = Math.max(prev.end, end);
    } else if (prev && fits && start <= prev.end + 1) {
      prev.end = Math.max(prev.end, end);
      prev.matches.push(line);
    } else {
      out.push({ start: prev ? Math.max(start, prev.end + 1) : start, end, matches: [line] });
    }
  }
  return out;
}

/**
 * Ranked snippets from the searcher's lines. Excluded paths are dropped first (whatever the searcher
 * returned). A keyword weighs more the fewer files contain it (ln(1 + files / files with it)); a
 * snippet scores the weights of the distinct keywords on its match lines, doubled for a keyword the
 * line defines (`function parseConfig`), plus a little per further match line. Ordered by score, then
 * path and line: deterministic.
 */
export function rankSnippets(
  lines: readonly SearchLine[],
  keywords: readonly string[],
  isExcluded: (path: string) => boolean,
  context = CONTEXT_LINES,
): { snippets: Snippet[]; excludedFiles: number } {
  const lowered = keywords.map((k) => k.toLowerCase());
  const byFile = new Map<string, Map<number, SearchLine>>();
  const excluded = new Set<string>();
  for (const l of lines) {
    if (excluded.has(l.path)) continue;
    if (isExcluded(l.path)) {
      excluded.add(l.path);
      continue;
    }
    let file = byFile.get(l.path);
    if (!file) byFile.set(l.path, (file = new Map()));
    const known = file.get(l.line);
    if (!known || (l.match && !known.match)) file.set(l.line, l);
  }
  // Which keywords each match line holds; document frequency per keyword.
  const lineKeywords = (text: string) => {
    const t = text.toLowerCase();
    return lowered.filter((k) => t.includes(k));
  };
  const filesWith = new Map<string, number>();
  for (const file of byFile.values()) {
    const seen = new Set<string>();
    for (const l of file.values()) if (l.match) for (const k of lineKeywords(l.text)) seen.add(k);
    for (const k of seen) filesWith.set(k, (filesWith.get(k) ?? 0) + 1);
  }
  const files = byFile.size;
  const weight = (k: string) => Math.log(1 + files / Math.max(1, filesWith.get(k) ?? files));

  const snippets: Snippet[] = [];
  for (const [path, file] of byFile) {
    const matchLines = [...file.values()].filter((l) => l.match && lineKeywords(l.text).length > 0);
    const lastLine = Math.max(...file.keys());
    for (const w of windows(
      matchLines.map((l) => l.line),
      lastLine,
      context,
    )) {
      const text: string[] = [];
      let start = w.start;
      // Only lines the searcher gave (a context line it did not send is not invented): trim to them.
      while (start < w.end && !file.has(start)) start++;
      let end = w.end;
      while (end > start && !file.has(end)) end--;
      for (let n = start; n <= end; n++) text.push(truncateLine(file.get(n)?.text ?? ""));
      const found = new Set<string>();
      const defined = new Set<string>();
      for (const n of w.matches) {
        const l = file.get(n);
        if (!l) continue;
        const ks = lineKeywords(l.text);
        ks.forEach((k) => found.add(k));
        const names = definedNames(l.text);
        for (const k of ks) if (names.some((name) => name.includes(k))) defined.add(k);
      }
      const kws = lowered.filter((k) => found.has(k));
      const score =
        kws.reduce((s, k) => s + weight(k) * (defined.has(k) ? 2 : 1), 0) + 0.1 * Math.min(5, w.matches.length - 1);
      snippets.push({ path, startLine: start, endLine: end, text: text.join("\n"), score, keywords: kws });
    }
  }
  snippets.sort(compareSnippets);
  return { snippets, excludedFiles: excluded.size };
}

function compareSnippets(a: Snippet, b: Snippet): number {
  return b.score - a.score || a.path.localeCompare(b.path) || a.startLine - b.startLine;
}

/** The header a snippet gets in the chip's content. */
export function snippetHeader(s: Pick<Snippet, "path" | "startLine" | "endLine">): string {
  return s.startLine === s.endLine
    ? `${s.path} (line ${s.startLine})`
    : `${s.path} (lines ${s.startLine}-${s.endLine})`;
}

function snippetBlock(s: Snippet): string {
  return `--- ${snippetHeader(s)} ---\n${s.text}\n`;
}

/**
 * The best snippets within `budgetTokens` (the formatted block counted, header included): each
 * file's best snippet first (by score), then each file's second best, and so on, so one file does
 * not take the whole budget; a snippet that does not fit is skipped for a smaller one. Excluded paths
 * are checked again here.
 */
export function selectSnippets(
  ranked: readonly Snippet[],
  budgetTokens: number,
  isExcluded: (path: string) => boolean,
  count: TokenCounter = estimateTokens,
  maxSnippets = MAX_SNIPPETS,
): { snippets: Snippet[]; leftOut: number } {
  const rankInFile = new Map<Snippet, number>();
  const seen = new Map<string, number>();
  for (const s of [...ranked].sort(compareSnippets)) {
    const n = seen.get(s.path) ?? 0;
    rankInFile.set(s, n);
    seen.set(s.path, n + 1);
  }
  const order = [...rankInFile.keys()].sort((a, b) => rankInFile.get(a)! - rankInFile.get(b)! || compareSnippets(a, b));
  const chosen: Snippet[] = [];
  let used = 0;
  let leftOut = 0;
  for (const s of order) {
    if (isExcluded(s.path)) continue;
    const cost = count(snippetBlock(s));
    if (chosen.length >= maxSnippets || used + cost > budgetTokens) {
      leftOut++;
      continue;
    }
    chosen.push(s);
    used += cost;
  }
  return { snippets: chosen, leftOut };
}

/** Files in order of their best chosen snippet; a file's snippets in line order. */
export function orderForPrompt(snippets: readonly Snippet[]): Snippet[] {
  const fileOrder: string[] = [];
  for (const s of [...snippets].sort(compareSnippets)) if (!fileOrder.includes(s.path)) fileOrder.push(s.path);
  return [...snippets].sort(
    (a, b) => fileOrder.indexOf(a.path) - fileOrder.indexOf(b.path) || a.startLine - b.startLine,
  );
}

/** The chip's content: each snippet under a header with its path and lines. */
export function formatSnippets(snippets: readonly Snippet[]): string {
  return orderForPrompt(snippets).map(snippetBlock).join("\n");
}

/** The chip's label, shortened. */
export function searchLabel(query: string): string {
  const q = query.replace(/\s+/g, " ").trim();
  return `workspace: ${q.length > 60 ? `${q.slice(0, 59)}…` : q}`;
}

/** What the model and the chip's tooltip see as the chip's "path": the query and where the snippets are from. */
export function searchDescription(query: string, snippets: readonly Snippet[]): string {
  const q = query.replace(/\s+/g, " ").trim();
  const where = orderForPrompt(snippets)
    .map((s) => (s.startLine === s.endLine ? `${s.path}:${s.startLine}` : `${s.path}:${s.startLine}-${s.endLine}`))
    .join(", ");
  return `workspace search for “${q.length > 200 ? `${q.slice(0, 199)}…` : q}”: ${where}`.slice(0, 4000);
}

/** Everything after the search: rank, exclude, budget. */
export function selectSearchResults(
  lines: readonly SearchLine[],
  keywords: readonly string[],
  budgetTokens: number,
  isExcluded: (path: string) => boolean,
  count: TokenCounter = estimateTokens,
): SearchSelection {
  const { snippets: ranked, excludedFiles } = rankSnippets(lines, keywords, isExcluded);
  const { snippets, leftOut } = selectSnippets(ranked, budgetTokens, isExcluded, count);
  return { keywords: [...keywords], snippets: orderForPrompt(snippets), leftOut, excludedFiles };
}
