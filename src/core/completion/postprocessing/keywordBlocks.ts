/**
 * Keyword-delimited blocks (`def ... end`, `if ... fi`): which words open, reopen and close a
 * block, per language. Words are matched on a line's code with strings and comments blanked out.
 * A block's kind is the word that closes it, so `fi` never closes a `do` and `end` never a `{`.
 */

export interface KeywordRule {
  /** Matches the word(s) at a position; the regex must be sticky-safe (tested at word starts). */
  word: RegExp;
  /** open: starts a block; close: ends one; reopen: ends one and starts the next (`else`). */
  role: "open" | "close" | "reopen";
  kind: string;
  /** Only at the start of a statement (line start, after `=`, `;`, `(`...): `x if y` is a modifier. */
  statementStart?: boolean;
}

const RUBY: KeywordRule[] = [
  { word: /^(?:if|unless|while|until|case|begin|for)\b/, role: "open", kind: "end", statementStart: true },
  { word: /^(?:def|class|module|do)\b/, role: "open", kind: "end" },
  { word: /^(?:elsif|else|when|in|rescue|ensure)\b/, role: "reopen", kind: "end", statementStart: true },
  { word: /^end\b/, role: "close", kind: "end" },
];
const CRYSTAL: KeywordRule[] = [
  ...RUBY,
  { word: /^(?:struct|lib|enum|macro|annotation)\b/, role: "open", kind: "end", statementStart: true },
];
const LUA: KeywordRule[] = [
  { word: /^(?:function|do|then)\b/, role: "open", kind: "end" },
  { word: /^(?:elseif|else)\b/, role: "reopen", kind: "end", statementStart: true },
  { word: /^end\b/, role: "close", kind: "end" },
  { word: /^repeat\b/, role: "open", kind: "until" },
  { word: /^until\b/, role: "close", kind: "until" },
];
const JULIA: KeywordRule[] = [
  {
    word: /^(?:function|if|for|while|begin|let|module|baremodule|(?:mutable\s+)?struct|macro|try|quote|(?:abstract|primitive)\s+type)\b/,
    role: "open",
    kind: "end",
    statementStart: true,
  },
  { word: /^do\b/, role: "open", kind: "end" },
  { word: /^(?:elseif|else|catch|finally)\b/, role: "reopen", kind: "end", statementStart: true },
  { word: /^end\b/, role: "close", kind: "end" },
];
const ELIXIR: KeywordRule[] = [
  { word: /^(?:do|fn)\b(?!:)/, role: "open", kind: "end" },
  { word: /^(?:else|catch|rescue|after)\b(?!:)/, role: "reopen", kind: "end", statementStart: true },
  { word: /^end\b/, role: "close", kind: "end" },
];
const SHELL: KeywordRule[] = [
  { word: /^if\b/, role: "open", kind: "fi", statementStart: true },
  { word: /^(?:elif|else)\b/, role: "reopen", kind: "fi", statementStart: true },
  { word: /^fi\b/, role: "close", kind: "fi", statementStart: true },
  { word: /^case\b/, role: "open", kind: "esac", statementStart: true },
  { word: /^esac\b/, role: "close", kind: "esac", statementStart: true },
  { word: /^do\b/, role: "open", kind: "done", statementStart: true },
  { word: /^done\b/, role: "close", kind: "done", statementStart: true },
];

export const KEYWORD_BLOCKS: Readonly<Record<string, readonly KeywordRule[]>> = {
  ruby: RUBY,
  crystal: CRYSTAL,
  lua: LUA,
  julia: JULIA,
  elixir: ELIXIR,
  shellscript: SHELL,
};

/** What may precede a statement-start keyword on the same line. */
const STATEMENT_START = /(?:^|[;=(|&{]|\bthen|\bdo|\belse|\bin)\s*$/;

export interface KeywordEvent {
  at: number;
  role: KeywordRule["role"];
  kind: string;
}

/**
 * Keyword events of one line. `code` has strings and comments blanked; `depthAt(i)` is the
 * bracket depth inside the line at i (keywords inside brackets, like Julia's `a[end]`, don't count).
 */
export function keywordEvents(
  code: string,
  rules: readonly KeywordRule[],
  depthAt: (i: number) => number,
): KeywordEvent[] {
  const events: KeywordEvent[] = [];
  const re = /[A-Za-z_]\w*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(code)) !== null) {
    const at = m.index;
    const before = code[at - 1];
    // `x.end`, `:do`, `@if`, `$done` are not keywords.
    if (before !== undefined && /[.:@$\w]/.test(before)) continue;
    if (depthAt(at) > 0) continue;
    const rest = code.slice(at);
    for (const rule of rules) {
      const hit = rule.word.exec(rest);
      if (!hit) continue;
      if (rule.statementStart && !STATEMENT_START.test(code.slice(0, at))) break;
      events.push({ at, role: rule.role, kind: rule.kind });
      re.lastIndex = at + hit[0].length;
      break;
    }
  }
  return events;
}
