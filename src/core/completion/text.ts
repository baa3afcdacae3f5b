/** Small string helpers shared by the stages. */
import type { DocumentSnapshot, Eol } from "./types";

/** Prompts, comparisons and cache keys work on LF text; output gets the document's EOL back. */
export function toLf(text: string): string {
  return text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
}

export function fromLf(text: string, eol: Eol): string {
  return eol === "\n" ? text : text.replace(/\n/g, eol);
}

export function splitDocument(doc: DocumentSnapshot): { prefix: string; suffix: string } {
  if ("text" in doc) {
    const cursor = Math.max(0, Math.min(doc.cursor, doc.text.length));
    return { prefix: doc.text.slice(0, cursor), suffix: doc.text.slice(cursor) };
  }
  return { prefix: doc.prefix, suffix: doc.suffix };
}

/** Text of the cursor line before the cursor. */
export function lineBeforeCursor(prefix: string): string {
  return prefix.slice(prefix.lastIndexOf("\n") + 1);
}

/** Text of the cursor line after the cursor. */
export function lineAfterCursor(suffix: string): string {
  const nl = suffix.indexOf("\n");
  return nl < 0 ? suffix : suffix.slice(0, nl);
}

export function leadingWhitespace(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

/** Indentation width in columns, tabs counted as tabSize. */
export function indentWidth(line: string, tabSize: number): number {
  let cols = 0;
  for (const ch of leadingWhitespace(line)) cols += ch === "\t" ? tabSize - (cols % tabSize) : 1;
  return cols;
}

export function isBlank(line: string): boolean {
  return line.trim().length === 0;
}

/** Last non-blank line of the prefix above the cursor line, or null. */
export function previousNonBlankLine(prefix: string): string | null {
  let end = prefix.lastIndexOf("\n");
  while (end > 0) {
    const start = prefix.lastIndexOf("\n", end - 1);
    const line = prefix.slice(start + 1, end);
    if (!isBlank(line)) return line;
    end = start;
  }
  return null;
}

/** cyrb53: a fast 53-bit string hash, good enough for cache keys. */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Display path for file headers: the uri's last two segments. */
export function displayPath(uri: string): string {
  const clean = uri.replace(/[?#].*$/, "").replace(/^[a-z][\w+.-]*:/i, "");
  const parts = clean.split(/[\\/]/).filter((p) => p.length > 0);
  const path = parts.slice(-2).join("/") || "untitled";
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
