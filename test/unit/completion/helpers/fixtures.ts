/** Reads the post-processing fixture corpus (test/fixtures/completion/postprocess/*.txt). */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Eol, IndentStyle } from "../../../../src/core/completion/types";

export interface PostprocessFixture {
  file: string;
  title: string;
  languageId: string;
  eol: Eol;
  indent: IndentStyle;
  maxLines: number;
  maxChars: number;
  prefix: string;
  suffix: string;
  raw: string;
  expected: { kind: "ghost"; text: string; replaceRight: number } | { kind: "rejected"; reason: string | null };
}

export const FIXTURE_DIR = path.resolve(__dirname, "../../../../../test/fixtures/completion/postprocess");
const CURSOR = "<CURSOR>";

/**
 * Format: "# title", then "key: value" headers, then sections "=== code" (with <CURSOR>),
 * "=== raw", and "=== expect" or "=== reject" (optional reason). Section text is the lines between
 * headers; `eol: crlf` turns code and expectation into CRLF, `raw-eol: crlf` the raw output.
 */
export function parseFixture(file: string, content: string): PostprocessFixture {
  const lines = content.replace(/\n$/, "").split("\n");
  const headers = new Map<string, string>();
  const sections = new Map<string, string[]>();
  let title = "";
  let current: string[] | null = null;
  for (const line of lines) {
    const section = /^=== (\w+)$/.exec(line);
    if (section) {
      current = [];
      sections.set(section[1], current);
    } else if (current) current.push(line);
    else if (line.startsWith("# ")) title = line.slice(2);
    else if (line.trim()) {
      const at = line.indexOf(":");
      headers.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
    }
  }
  const text = (name: string) => {
    const body = sections.get(name);
    if (!body) throw new Error(`${file}: missing section ${name}`);
    return body.join("\n");
  };
  const crlf = headers.get("eol") === "crlf";
  const docEol = (s: string) => (crlf ? s.replace(/\n/g, "\r\n") : s);
  const code = docEol(text("code"));
  const at = code.indexOf(CURSOR);
  if (at < 0 || code.indexOf(CURSOR, at + 1) >= 0) throw new Error(`${file}: need exactly one ${CURSOR}`);
  const [indentKind, indentSize] = (headers.get("indent") ?? "spaces 4").split(/\s+/);
  const raw = headers.get("raw-eol") === "crlf" ? text("raw").replace(/\n/g, "\r\n") : text("raw");
  const expected: PostprocessFixture["expected"] = sections.has("reject")
    ? { kind: "rejected", reason: text("reject").trim() || null }
    : { kind: "ghost", text: docEol(text("expect")), replaceRight: Number(headers.get("replaceRight") ?? 0) };
  return {
    file,
    title,
    languageId: headers.get("language") ?? "plaintext",
    eol: crlf ? "\r\n" : "\n",
    indent: { useTabs: indentKind === "tabs", size: Number(indentSize ?? 4) },
    maxLines: Number(headers.get("maxLines") ?? 8),
    maxChars: Number(headers.get("maxChars") ?? 1000),
    prefix: code.slice(0, at),
    suffix: code.slice(at + CURSOR.length),
    raw,
    expected,
  };
}

export function loadFixtures(): PostprocessFixture[] {
  return fs
    .readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith(".txt"))
    .sort()
    .map((f) => parseFixture(f, fs.readFileSync(path.join(FIXTURE_DIR, f), "utf8")));
}
