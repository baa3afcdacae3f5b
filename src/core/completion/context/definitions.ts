/**
 * Definitions from other files for the completion prompt: a small model invents signatures it
 * cannot see. Pure parts only: where to ask the language features (the call being written, the
 * receiver of a member access, the types in the current function's signature), how to cut a
 * definition to its signature and doc comment, and which ones fit the budget. The adapter asks VS
 * Code (executeDefinitionProvider / executeTypeDefinitionProvider) off the keystroke path.
 */
import type { ContextChunk } from "./extraContextRing";
import { estimateTokens, type TokenCounter } from "../../util/tokenEstimate";

export type SiteKind = "call" | "receiver" | "type";

/** A place in the document (0-based, LF text) whose identifier's definition is wanted. */
export interface LookupSite {
  name: string;
  line: number;
  character: number;
  kind: SiteKind;
}

const IDENT = /[A-Za-z_$][\w$]*$/;
/** Words that look like a call or a type but are the language's own. */
const KEYWORDS = new Set(
  (
    "if for while switch catch function return typeof new await async yield with elif def class print " +
    "string number boolean void any unknown never object null undefined true false this self super " +
    "int float str bool list dict set tuple None True False Promise Array Map Set Record Partial " +
    "const let var in of as is not and or"
  ).split(" "),
);
/** Lines above the cursor searched for the enclosing function's signature. */
const SIGNATURE_LOOKBACK = 40;
const SIGNATURE_LINE =
  /^\s*(?:export\s+)?(?:default\s+)?(?:public\s+|private\s+|protected\s+|static\s+|async\s+)*(?:function\b|def\b|fn\b|func\b|[A-Za-z_$][\w$]*\s*\(.*\)\s*(?::[^=]*)?\{\s*$|(?:const|let)\s+[A-Za-z_$][\w$]*\s*=\s*(?:async\s*)?\(.*\)\s*(?::[^=]*)?=>)/;

/** Identifier sites around the cursor, most useful first, one per name. `prefix` ends at the cursor. */
export function definitionSites(prefix: string, maxSites = 4): LookupSite[] {
  const lines = prefix.split("\n");
  const cursorLine = lines.length - 1;
  const sites: LookupSite[] = [];
  const add = (name: string, line: number, character: number, kind: SiteKind) => {
    if (KEYWORDS.has(name) || sites.some((s) => s.name === name)) return;
    sites.push({ name, line, character, kind });
  };

  // The call being written: the identifier before the innermost unclosed "(" (this line or the two above).
  let depth = 0;
  outer: for (let l = cursorLine; l >= Math.max(0, cursorLine - 2); l--) {
    const text = lines[l];
    for (let i = text.length - 1; i >= 0; i--) {
      const ch = text[i];
      if (ch === ")") depth++;
      else if (ch === "(") {
        if (depth > 0) depth--;
        else {
          const ident = IDENT.exec(text.slice(0, i).trimEnd());
          if (ident) add(ident[0], l, ident.index, "call");
          break outer;
        }
      }
    }
  }

  // Member access on the cursor line: "receiver.member" (the last one; a partly typed member too).
  const line = lines[cursorLine];
  const member = /([A-Za-z_$][\w$]*)\s*(?:\?\.|\.|->|::)\s*[\w$]*$/.exec(line);
  if (member) add(member[1], cursorLine, member.index, "receiver");

  // Types in the enclosing function's signature: capitalised identifiers after ":" or "->", or typed params.
  for (let l = cursorLine; l >= Math.max(0, cursorLine - SIGNATURE_LOOKBACK); l--) {
    if (!SIGNATURE_LINE.test(lines[l])) continue;
    const text = l === cursorLine ? line : lines[l];
    const typePattern = /(?::|->)\s*(?:readonly\s+)?([A-Z][\w$]*)/g;
    for (let m = typePattern.exec(text); m; m = typePattern.exec(text))
      add(m[1], l, m.index + m[0].length - m[1].length, "type");
    break;
  }
  return sites.slice(0, maxSites);
}

const DOC_LINE = /^\s*(?:\/\*\*|\*|\*\/|\/\/\/?|#(?!include|define|!)|@[\w.]+)/;
const TYPE_DECL =
  /^\s*(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:class|interface|type|enum|struct|trait)\b/;

/**
 * A definition cut to what a caller needs: the doc comment above it and the signature (up to its
 * opening brace, `:` or `;`); a type declaration keeps its body when it is short (the members are
 * what the model needs). `lines` is the target file, `line` the definition's first line (0-based).
 */
export function definitionSnippet(lines: readonly string[], line: number, maxLines = 12, maxTypeLines = 24): string {
  if (line < 0 || line >= lines.length) return "";
  let start = line;
  while (start > 0 && line - start < 20 && DOC_LINE.test(lines[start - 1]) && lines[start - 1].trim() !== "") start--;
  const isType = TYPE_DECL.test(lines[line]);
  const out = lines.slice(start, line);
  const limit = isType ? maxTypeLines : maxLines;
  const indent = /^\s*/.exec(lines[line])![0].length;
  for (let l = line; l < lines.length && l - line < limit; l++) {
    const text = lines[l];
    out.push(text);
    const trimmed = text.trimEnd();
    if (isType) {
      if (trimmed.endsWith(";") && l === line) break; // type X = ...;
      if (l > line && /^\s*[}\]]/.test(text) && /^\s*/.exec(text)![0].length <= indent) break;
      continue;
    }
    if (/[{;]$/.test(trimmed) || /=>\s*\{?$/.test(trimmed) || /\)\s*(?:->\s*[^:]+)?:$/.test(trimmed)) break;
  }
  return out.join("\n").trimEnd();
}

/** One definition found by the adapter. */
export interface DefinitionSnippet {
  uri: string;
  /** Workspace-relative path (shown in the chunk header and matched against the exclude globs). */
  path: string;
  name: string;
  text: string;
}

export interface SelectDefinitionsInput {
  definitions: readonly DefinitionSnippet[];
  budgetTokens: number;
  /** The document being completed: definitions from it are already in the window or near it. */
  uri: string;
  windowText: string;
  /** The ring chunks going into the same prompt: a definition inside one of them is not repeated. */
  ring: readonly ContextChunk[];
  countTokens?: TokenCounter;
  exclude?: (path: string) => boolean;
}

/**
 * The definitions that go into the prompt, as chunks, in the order given (most useful first) while
 * they fit the budget; one that does not fit is skipped for a smaller one after it.
 */
export function selectDefinitions(input: SelectDefinitionsInput): ContextChunk[] {
  const count = input.countTokens ?? estimateTokens;
  const out: ContextChunk[] = [];
  let used = 0;
  for (const def of input.definitions) {
    const text = def.text.trim();
    if (text === "" || def.uri === input.uri) continue;
    if (input.exclude?.(def.path)) continue;
    if (input.windowText.includes(text)) continue;
    if (input.ring.some((c) => c.text.includes(text))) continue;
    if (out.some((c) => c.text === text)) continue;
    const cost = count(def.path) + count(text) + 2;
    if (used + cost > input.budgetTokens) continue;
    used += cost;
    out.push({ uri: def.uri, path: def.path, text, source: "definition" });
  }
  return out;
}
