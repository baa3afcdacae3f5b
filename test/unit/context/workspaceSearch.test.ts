import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseSettings } from "../../../src/core/config/settings";
import { DEFAULT_CONTEXT_EXCLUDE, DEFAULT_SEARCH_TOKENS, excludeMatcher } from "../../../src/core/context/exclude";
import { parseRgLine, ripgrepArgs, ripgrepCandidates } from "../../../src/core/context/ripgrep";
import {
  formatSnippets,
  identifierParts,
  rankSnippets,
  scanText,
  searchDescription,
  searchKeywords,
  searchLabel,
  selectSearchResults,
  selectSnippets,
  type SearchLine,
  type Snippet,
} from "../../../src/core/context/workspaceSearch";
import { estimateTokens } from "../../../src/core/util/tokenEstimate";

const none = () => false;
const { matches: defaultExclude } = excludeMatcher(DEFAULT_CONTEXT_EXCLUDE);

/** What `rg -i -F -C 2` would return for these files (the fallback's scanner is the reference). */
function search(files: Record<string, string>, keywords: string[]): SearchLine[] {
  return Object.entries(files).flatMap(([path, text]) => scanText(path, text, keywords, 1000));
}

function numbered(n: number, at: Record<number, string> = {}): string {
  return Array.from({ length: n }, (_, i) => at[i + 1] ?? `line ${i + 1}`).join("\n");
}

describe("@workspace search: keywords", () => {
  it("splits camelCase, snake_case and acronyms", () => {
    assert.deepEqual(identifierParts("parseHTTPConfig_v2"), ["parse", "HTTP", "Config", "v2"]);
    assert.deepEqual(identifierParts("MAX_RETRY_COUNT"), ["MAX", "RETRY", "COUNT"]);
  });

  it("identifiers first, then plain words, then their parts; stop words and short tokens dropped", () => {
    assert.deepEqual(searchKeywords("Where is the retry delay computed in fetchWithRetry and MAX_BACKOFF_MS?"), [
      "fetchwithretry",
      "max_backoff_ms",
      "retry",
      "delay",
      "computed",
      "fetch",
    ]);
    assert.deepEqual(searchKeywords("how does it work?"), []);
    assert.deepEqual(searchKeywords("a b cd x1 42 1234"), []);
  });

  it("a quoted phrase is one keyword, kept first", () => {
    assert.deepEqual(searchKeywords('who logs "connection refused" in server code', 3), [
      "connection refused",
      "logs",
      "connection",
    ]);
  });

  it("deduplicates case-insensitively and caps the count", () => {
    assert.deepEqual(searchKeywords("parser Parser PARSER tokenizer lexer grammar ast node tree", 4), [
      "parser",
      "tokenizer",
      "lexer",
      "grammar",
    ]);
  });
});

describe("@workspace search: snippets", () => {
  it("scanText gives match and context lines like rg -C 2", () => {
    const lines = scanText("a.ts", numbered(10, { 5: "const needle = 1;" }), ["needle"]);
    assert.deepEqual(
      lines.map((l) => `${l.line}${l.match ? "*" : ""}`),
      ["3", "4", "5*", "6", "7"],
    );
  });

  it("merges overlapping and touching windows, keeps apart the distant ones", () => {
    const text = numbered(40, { 5: "needle", 8: "needle", 30: "needle" });
    const { snippets } = rankSnippets(search({ "a.ts": text }, ["needle"]), ["needle"], none);
    assert.deepEqual(
      snippets.map((s) => [s.startLine, s.endLine]).sort((a, b) => a[0] - b[0]),
      [
        [3, 10],
        [28, 32],
      ],
    );
    const merged = snippets.find((s) => s.startLine === 3)!;
    assert.equal(merged.text.split("\n").length, 8);
    assert.equal(merged.text.split("\n")[2], "needle");
  });

  it("a long run of matches is cut into snippets of at most 24 lines, none repeating a line", () => {
    const at: Record<number, string> = {};
    for (let i = 1; i <= 60; i++) at[i] = `needle ${i}`;
    const { snippets } = rankSnippets(search({ "a.ts": numbered(60, at) }, ["needle"]), ["needle"], none);
    const ranges = snippets.map((s) => [s.startLine, s.endLine]).sort((a, b) => a[0] - b[0]);
    for (const [start, end] of ranges) assert.ok(end - start + 1 <= 24, `${start}-${end}`);
    for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i][0] > ranges[i - 1][1]);
    assert.equal(ranges[0][0], 1);
    assert.equal(ranges[ranges.length - 1][1], 60);
  });

  it("rarer keywords weigh more; a definition of the keyword ranks above a use", () => {
    const files = {
      "src/a.ts": "import { config } from './config';\nconsole.log(config);\n",
      "src/b.ts": "const config = load();\n",
      "src/c.ts": "config.retries = 3;\n",
      "src/retry.ts": "export function computeBackoff(config) {\n  return config.base * 2;\n}\n",
      "src/use.ts": "const wait = computeBackoff(config);\n",
    };
    const keywords = ["computebackoff", "config"];
    const { snippets } = rankSnippets(search(files, keywords), keywords, none);
    assert.deepEqual(
      snippets.map((s) => s.path),
      ["src/retry.ts", "src/use.ts", "src/b.ts", "src/a.ts", "src/c.ts"],
    );
    assert.deepEqual(snippets[0].keywords, ["computebackoff", "config"]);
  });

  it("the order is deterministic: score, then path, then line", () => {
    const files = { "z.ts": "needle\n", "a.ts": "needle\n", "m.ts": numbered(20, { 2: "needle", 15: "needle" }) };
    const lines = search(files, ["needle"]);
    const first = rankSnippets(lines, ["needle"], none).snippets.map((s) => `${s.path}:${s.startLine}`);
    const second = rankSnippets([...lines].reverse(), ["needle"], none).snippets.map((s) => `${s.path}:${s.startLine}`);
    assert.deepEqual(first, ["a.ts:1", "m.ts:1", "m.ts:13", "z.ts:1"]);
    assert.deepEqual(second, first);
  });
});

describe("@workspace search: budget", () => {
  const snippet = (path: string, startLine: number, score: number, lines = 3): Snippet => ({
    path,
    startLine,
    endLine: startLine + lines - 1,
    text: Array.from({ length: lines }, (_, i) => `${path} text ${startLine + i} padding padding`).join("\n"),
    score,
    keywords: ["x"],
  });

  it("stays within the token budget, counted with the project's estimator", () => {
    const ranked = Array.from({ length: 20 }, (_, i) => snippet(`f${String(i).padStart(2, "0")}.ts`, 1, 20 - i));
    const budget = 150;
    const { snippets, leftOut } = selectSnippets(ranked, budget, none);
    const cost = estimateTokens(formatSnippets(snippets));
    assert.ok(cost <= budget, `${cost} tokens`);
    assert.ok(snippets.length >= 2);
    assert.equal(snippets.length + leftOut, 20);
    assert.deepEqual(
      snippets.map((s) => s.path),
      ranked.slice(0, snippets.length).map((s) => s.path),
    );
  });

  it("each file's best snippet before any file's second", () => {
    const ranked = [snippet("a.ts", 1, 10), snippet("a.ts", 20, 9), snippet("a.ts", 40, 8), snippet("b.ts", 1, 2)];
    const { snippets } = selectSnippets(ranked, 10_000, none, estimateTokens, 2);
    assert.deepEqual(
      snippets.map((s) => `${s.path}:${s.startLine}`),
      ["a.ts:1", "b.ts:1"],
    );
  });

  it("a snippet too large for what is left is skipped for a smaller one that fits", () => {
    const ranked = [snippet("a.ts", 1, 10, 2), snippet("big.ts", 1, 9, 40), snippet("c.ts", 1, 8, 2)];
    const { snippets, leftOut } = selectSnippets(ranked, 60, none);
    assert.deepEqual(
      snippets.map((s) => s.path),
      ["a.ts", "c.ts"],
    );
    assert.equal(leftOut, 1);
  });

  it("nothing fits: nothing selected", () => {
    assert.deepEqual(selectSnippets([snippet("a.ts", 1, 1, 30)], 5, none).snippets, []);
  });
});

describe("@workspace search: exclude (localCode.context.exclude)", () => {
  const files = {
    ".env": "API_TOKEN=sk-secret\n",
    "deploy/prod.env": "API_TOKEN=sk-prod\n",
    "secrets/token.txt": "API_TOKEN\n",
    "src/auth.ts": "export function apiToken() {\n  return process.env.API_TOKEN;\n}\n",
  };

  it("excluded paths are never selected, even when the searcher returned them", () => {
    const result = selectSearchResults(search(files, ["api_token"]), ["api_token"], 10_000, defaultExclude);
    assert.deepEqual(
      result.snippets.map((s) => s.path),
      ["src/auth.ts"],
    );
    assert.equal(result.excludedFiles, 3);
    assert.ok(!formatSnippets(result.snippets).includes("sk-"));
  });

  it("an excluded file does not even weigh in the keyword rarity", () => {
    const withSecrets = rankSnippets(search(files, ["api_token"]), ["api_token"], defaultExclude).snippets;
    const without = rankSnippets(
      search({ "src/auth.ts": files["src/auth.ts"] }, ["api_token"]),
      ["api_token"],
      none,
    ).snippets;
    assert.deepEqual(withSecrets, without);
  });

  it("selectSnippets checks again (a ranked list built without the rules)", () => {
    const ranked = rankSnippets(search(files, ["api_token"]), ["api_token"], none).snippets;
    assert.equal(ranked.length, 4);
    const { snippets } = selectSnippets(ranked, 10_000, defaultExclude);
    assert.deepEqual(
      snippets.map((s) => s.path),
      ["src/auth.ts"],
    );
  });
});

describe("@workspace search: the chip", () => {
  it("content has each snippet's path and lines; files in rank order, a file's snippets in line order", () => {
    const files = {
      "src/util.ts": numbered(40, { 3: "export function parseConfig(text) {", 30: "  parseConfig(inner);" }),
      "src/main.ts": "const c = parseConfig(read());\n",
    };
    const result = selectSearchResults(search(files, ["parseconfig"]), ["parseconfig"], 10_000, none);
    const content = formatSnippets(result.snippets);
    assert.match(content, /^--- src\/util\.ts \(lines 1-5\) ---\n/);
    assert.ok(content.indexOf("src/util.ts (lines 28-32)") < content.indexOf("src/main.ts (line 1)"));
    assert.equal(
      searchDescription("parseConfig", result.snippets),
      "workspace search for “parseConfig”: src/util.ts:1-5, src/util.ts:28-32, src/main.ts:1",
    );
    assert.equal(searchLabel("  where is\nparseConfig  "), "workspace: where is parseConfig");
    assert.equal(searchLabel("x".repeat(100)).length, "workspace: ".length + 60);
  });

  it("minified lines are cut", () => {
    const { snippets } = rankSnippets(scanText("m.js", `var needle=${"a".repeat(5000)}`, ["needle"]), ["needle"], none);
    assert.ok(snippets[0].text.length < 300);
  });
});

describe("@workspace search: ripgrep and the setting", () => {
  it("looks for VS Code's ripgrep in both package layouts, unpacked asar included", () => {
    const found = ripgrepCandidates("/app", "linux", "x64");
    assert.ok(found.includes(path.join("/app", "node_modules", "@vscode", "ripgrep", "bin", "rg")));
    assert.ok(
      found.includes(path.join("/app", "node_modules", "@vscode", "ripgrep-universal", "bin", "linux-x64", "rg")),
    );
    assert.ok(found.includes(path.join("/app", "node_modules.asar.unpacked", "@vscode", "ripgrep", "bin", "rg")));
    assert.ok(ripgrepCandidates("C:\\vs", "win32", "x64").every((c) => c.endsWith("rg.exe")));
  });

  it("passes every exclude glob to rg as a case-insensitive negative glob, and each keyword with -e", () => {
    const args = ripgrepArgs(["-foo", "bar"], DEFAULT_CONTEXT_EXCLUDE, ["**/.git"]);
    for (const glob of DEFAULT_CONTEXT_EXCLUDE) {
      const i = args.indexOf(`!${glob}`);
      assert.ok(i > 0 && args[i - 1] === "--iglob", glob);
    }
    assert.deepEqual(args.slice(args.indexOf("--glob"), args.indexOf("--glob") + 2), ["--glob", "!**/.git"]);
    assert.deepEqual(args.slice(-4), ["-e", "-foo", "-e", "bar"]);
    for (const flag of ["--json", "--fixed-strings", "--ignore-case", "--no-config"]) assert.ok(args.includes(flag));
  });

  it("reads rg --json match and context lines, nothing else", () => {
    const match = JSON.stringify({
      type: "match",
      data: { path: { text: "src\\a.ts" }, lines: { text: "const x = 1;\r\n" }, line_number: 3, submatches: [] },
    });
    assert.deepEqual(parseRgLine(match), { path: "src/a.ts", line: 3, text: "const x = 1;", match: true });
    const context = match.replace('"match"', '"context"');
    assert.equal(parseRgLine(context)?.match, false);
    assert.equal(parseRgLine(JSON.stringify({ type: "begin", data: { path: { text: "a" } } })), null);
    // A line that is not UTF-8 comes as base64 "bytes": skipped, not guessed at.
    assert.equal(
      parseRgLine(
        JSON.stringify({ type: "match", data: { path: { text: "a" }, lines: { bytes: "AA==" }, line_number: 1 } }),
      ),
      null,
    );
    assert.equal(parseRgLine("not json"), null);
  });

  it("the manifest's searchTokens is the schema's default", () => {
    const root = path.resolve(__dirname, "../../../..");
    const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
    const contributed = manifest.contributes.configuration.properties["localCode.context.searchTokens"];
    assert.equal(contributed.default, DEFAULT_SEARCH_TOKENS);
    assert.equal(parseSettings({}).settings.context.searchTokens, DEFAULT_SEARCH_TOKENS);
    assert.equal(contributed.minimum, 100);
    assert.equal(parseSettings({ context: { searchTokens: 5 } }).settings.context.searchTokens, DEFAULT_SEARCH_TOKENS);
  });
});
