/**
 * The chat's `@workspace` search: VS Code's own ripgrep (shipped with every VS Code and code-server)
 * over the workspace folders, `.gitignore` honoured by rg, `files.exclude` and
 * `localCode.context.exclude` passed as negative globs AND checked again on every result, so an
 * excluded file is never read. Without rg (a VS Code build that does not ship it where we look, a
 * virtual file system) the fallback lists files with `findFiles` and scans them itself, size-capped.
 * Ranking and the token budget are in src/core/context/workspaceSearch.ts.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as readline from "node:readline";
import * as vscode from "vscode";
import type { ContextInput } from "../../core/chat/types";
import {
  parseRgLine,
  RG_MAX_FILE_BYTES,
  RG_MAX_MATCHES_PER_FILE,
  ripgrepArgs,
  ripgrepCandidates,
} from "../../core/context/ripgrep";
import {
  formatSnippets,
  scanText,
  searchDescription,
  searchKeywords,
  searchLabel,
  selectSearchResults,
  type SearchLine,
} from "../../core/context/workspaceSearch";
import type { Logger } from "../../core/util/logger";

/** Stops a search that takes longer (what was found so far is used). */
const TIMEOUT_MS = 5000;
/** rg's output is cut off (rg killed) after this many bytes or match lines. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
const MAX_MATCHES = 2000;
/** Fallback only: files listed and bytes read at most. */
const FALLBACK_MAX_FILES = 3000;
const FALLBACK_MAX_BYTES = 32 * 1024 * 1024;

export type SearchOutcome = { input: ContextInput; snippets: number; files: number } | { input: null; message: string };

export interface WorkspaceSearchDeps {
  /** localCode.context.exclude for a URI (a workspace file) and a workspace-relative path. */
  isExcluded(uri: vscode.Uri): boolean;
  isExcludedPath(path: string): boolean;
  /** The exclude globs, handed to rg as negative globs. */
  excludeGlobs(): readonly string[];
  /** Token budget for one search's snippets. */
  budgetTokens(): number;
  log: Pick<Logger, "info" | "warn">;
  /** The rg to run; null: none (the fallback scanner); left out: VS Code's own, looked up once. */
  ripgrep?: string | null;
}

export function findRipgrep(appRoot: string): string | undefined {
  return ripgrepCandidates(appRoot, process.platform, process.arch).find((candidate) => {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export class WorkspaceSearch {
  /** null until looked up; undefined: there is none. */
  private rg: string | undefined | null;

  constructor(private readonly deps: WorkspaceSearchDeps) {
    this.rg = deps.ripgrep === undefined ? null : (deps.ripgrep ?? undefined);
  }

  /** Searches the workspace for the query's keywords; the chip to attach, or why there is none. */
  readonly run = async (query: string, token: vscode.CancellationToken): Promise<SearchOutcome> => {
    const keywords = searchKeywords(query);
    if (keywords.length === 0)
      return { input: null, message: `“${query.trim()}” has no words to search for (names, identifiers).` };
    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => abort.abort());
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let lines: SearchLine[];
    try {
      lines = await this.search(keywords, abort.signal);
    } finally {
      clearTimeout(timer);
      cancel.dispose();
    }
    if (token.isCancellationRequested) return { input: null, message: "The workspace search was cancelled." };
    const selection = selectSearchResults(lines, keywords, this.deps.budgetTokens(), this.deps.isExcludedPath);
    this.deps.log.info(
      `workspace search [${keywords.join(", ")}]: ${lines.filter((l) => l.match).length} matching lines, ` +
        `${selection.snippets.length} snippets chosen, ${selection.leftOut} left out (budget), ` +
        `${selection.excludedFiles} excluded files dropped${abort.signal.aborted ? ", stopped at the time limit" : ""}`,
    );
    if (selection.snippets.length === 0)
      return { input: null, message: `Nothing in the workspace matches ${keywords.map((k) => `“${k}”`).join(", ")}.` };
    return {
      input: {
        kind: "snippet",
        label: searchLabel(query),
        path: searchDescription(query, selection.snippets),
        languageId: null,
        content: formatSnippets(selection.snippets),
      },
      snippets: selection.snippets.length,
      files: new Set(selection.snippets.map((s) => s.path)).size,
    };
  };

  private async search(keywords: string[], signal: AbortSignal): Promise<SearchLine[]> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (this.rg === null) {
      this.rg = findRipgrep(vscode.env.appRoot);
      this.deps.log.info(
        this.rg ? `workspace search: ripgrep at ${this.rg}` : "workspace search: no ripgrep, scanning files",
      );
    }
    const rg = this.rg;
    if (rg && folders.every((f) => f.uri.scheme === "file")) {
      const results: SearchLine[] = [];
      for (const folder of folders) {
        if (signal.aborted) break;
        try {
          results.push(...(await this.ripgrep(rg, folder, keywords, signal, MAX_MATCHES - results.length)));
        } catch (error) {
          this.deps.log.warn(`workspace search: ripgrep failed (${String(error)}); scanning files instead`);
          return this.scanFiles(keywords, signal);
        }
      }
      return results;
    }
    return this.scanFiles(keywords, signal);
  }

  private ripgrep(
    rg: string,
    folder: vscode.WorkspaceFolder,
    keywords: string[],
    signal: AbortSignal,
    maxMatches: number,
  ): Promise<SearchLine[]> {
    const args = ripgrepArgs(keywords, this.deps.excludeGlobs(), filesExclude(folder));
    return new Promise((resolve, reject) => {
      const child = spawn(rg, args, { cwd: folder.uri.fsPath, stdio: ["ignore", "pipe", "pipe"] });
      const found: SearchLine[] = [];
      let bytes = 0;
      let matches = 0;
      let stderr = "";
      const stop = () => child.kill();
      signal.addEventListener("abort", stop, { once: true });
      child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
      const lines = readline.createInterface({ input: child.stdout });
      lines.on("line", (raw) => {
        bytes += raw.length + 1;
        if (bytes > MAX_OUTPUT_BYTES || matches >= maxMatches) return stop();
        const parsed = parseRgLine(raw);
        if (!parsed) return;
        const uri = vscode.Uri.joinPath(folder.uri, parsed.path);
        // rg was told the globs; checked again here all the same: an excluded file's line is dropped.
        if (this.deps.isExcluded(uri)) return;
        if (parsed.match) matches++;
        found.push({ ...parsed, path: vscode.workspace.asRelativePath(uri, false) });
      });
      child.on("error", (error) => {
        signal.removeEventListener("abort", stop);
        reject(error);
      });
      child.on("close", (code) => {
        signal.removeEventListener("abort", stop);
        lines.close();
        // 0: found, 1: nothing found, 2: some error (an unreadable file) with results still valid; killed: what came.
        if (code === 2 && found.length === 0) this.deps.log.warn(`workspace search: rg: ${stderr.trim()}`);
        resolve(found);
      });
    });
  }

  /** Without rg: files.exclude applies to findFiles; excluded files are skipped before they are read. */
  private async scanFiles(keywords: string[], signal: AbortSignal): Promise<SearchLine[]> {
    const source = new vscode.CancellationTokenSource();
    signal.addEventListener("abort", () => source.cancel(), { once: true });
    try {
      const uris = await vscode.workspace.findFiles("**/*", undefined, FALLBACK_MAX_FILES, source.token);
      uris.sort((a, b) => a.toString().localeCompare(b.toString()));
      const found: SearchLine[] = [];
      let bytes = 0;
      for (const uri of uris) {
        if (signal.aborted || bytes > FALLBACK_MAX_BYTES || found.length > MAX_MATCHES * 3) break;
        if (this.deps.isExcluded(uri)) continue;
        try {
          const stat = await vscode.workspace.fs.stat(uri);
          if (stat.size > RG_MAX_FILE_BYTES) continue;
          const data = await vscode.workspace.fs.readFile(uri);
          bytes += data.byteLength;
          if (data.subarray(0, 8000).includes(0)) continue; // Binary.
          found.push(
            ...scanText(
              vscode.workspace.asRelativePath(uri, false),
              new TextDecoder().decode(data),
              keywords,
              RG_MAX_MATCHES_PER_FILE,
            ),
          );
        } catch {
          // Unreadable: skipped.
        }
      }
      return found;
    } finally {
      source.dispose();
    }
  }
}

/** The folder's `files.exclude` globs that are on (one with a `when` clause is left out: rg cannot judge it). */
function filesExclude(folder: vscode.WorkspaceFolder): string[] {
  const setting = vscode.workspace.getConfiguration("files", folder).get<Record<string, unknown>>("exclude") ?? {};
  return Object.entries(setting)
    .filter(([, on]) => on === true)
    .map(([glob]) => glob);
}
