/**
 * The chat's "@" picker: one keyboard-first QuickPick (fuzzy by VS Code) of the Problems, the git
 * diff of uncommitted changes, workspace files (files.exclude and the root .gitignore respected)
 * and, as the user types, workspace symbols; at the top, a keyword search of the workspace
 * (`@workspace`, src/vscode/context/workspaceSearch.ts). The choice becomes a context input; files
 * matching localCode.context.exclude are listed with a lock and refused (the chat says why), never read.
 */
import * as vscode from "vscode";
import type { ContextInput } from "../../core/chat/types";
import { filterDiff } from "../../core/context/gitDiff";
import { gitignoreFilter } from "../../core/context/gitignore";
import { formatProblems, type Problem, type ProblemSeverity } from "../../core/context/problems";
import type { SearchOutcome } from "../context/workspaceSearch";
import { fileContext } from "./editorContext";

const MAX_FILES = 5000;
const SYMBOL_DELAY_MS = 150;
const MAX_SYMBOLS = 50;
/** A symbol's own lines, bounded (a class can be long). */
const MAX_SYMBOL_LINES = 200;

export interface MentionDeps {
  isExcluded(uri: vscode.Uri): boolean;
  /** Says in the chat why something was not attached. */
  refuse(uri: vscode.Uri): void;
  notify(message: string): void;
  /** The document the user last worked in (focus is in the webview). */
  currentDocument(): vscode.TextDocument | undefined;
  /** The question typed so far: the workspace search's query starts from it. */
  draft?: string;
  /** The `@workspace` keyword search; without it the picker does not offer one. */
  searchWorkspace?(query: string, token: vscode.CancellationToken): Promise<SearchOutcome>;
}

/** Typed in the picker, `workspace <words>` searches for the words straight away. */
const WORKSPACE_PREFIX = /^@?workspace\s+/i;

type Choice =
  | { kind: "problems"; uri: vscode.Uri | null }
  | { kind: "diff" }
  | { kind: "search"; typed: string }
  | { kind: "file"; uri: vscode.Uri }
  | { kind: "symbol"; symbol: vscode.SymbolInformation };

type Item = vscode.QuickPickItem & { choice?: Choice };

const SEVERITY: Record<vscode.DiagnosticSeverity, ProblemSeverity> = {
  [vscode.DiagnosticSeverity.Error]: "error",
  [vscode.DiagnosticSeverity.Warning]: "warning",
  [vscode.DiagnosticSeverity.Information]: "info",
  [vscode.DiagnosticSeverity.Hint]: "hint",
};

function relative(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, false);
}

/** Opens the picker; resolves with what to attach ([] when dismissed or refused). */
export async function pickMention(deps: MentionDeps, token?: vscode.CancellationToken): Promise<ContextInput[]> {
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = "Add context to the chat";
  pick.placeholder = "Type to find a file or a symbol; Problems and the git diff are at the top";
  pick.matchOnDescription = true;
  pick.busy = true;
  const current = deps.currentDocument();
  const searchItem: Item | undefined = deps.searchWorkspace
    ? {
        label: "$(search) Search the workspace…",
        description: "@workspace: keyword search, best snippets within the budget",
        alwaysShow: true,
        choice: { kind: "search", typed: "" },
      }
    : undefined;
  const fixed: Item[] = [
    ...(searchItem ? [searchItem] : []),
    ...(current && !current.isUntitled
      ? [
          {
            label: `$(warning) Problems in ${relative(current.uri)}`,
            alwaysShow: true,
            choice: { kind: "problems", uri: current.uri } as Choice,
          },
        ]
      : []),
    { label: "$(warning) Problems in the workspace", alwaysShow: true, choice: { kind: "problems", uri: null } },
    ...(gitRepository()
      ? [
          {
            label: "$(git-compare) Uncommitted changes (git diff)",
            alwaysShow: true,
            choice: { kind: "diff" } as Choice,
          },
        ]
      : []),
  ];
  let files: Item[] = [];
  let symbols: Item[] = [];
  const render = () => {
    pick.items = [
      ...fixed,
      ...(files.length > 0 ? [{ label: "Files", kind: vscode.QuickPickItemKind.Separator } as Item, ...files] : []),
      ...(symbols.length > 0
        ? [{ label: "Symbols", kind: vscode.QuickPickItemKind.Separator } as Item, ...symbols]
        : []),
    ];
  };
  render();
  const disposables: vscode.Disposable[] = [pick];
  const chosen = new Promise<Choice | undefined>((resolve) => {
    disposables.push(
      pick.onDidAccept(() => {
        const choice = pick.selectedItems[0]?.choice;
        resolve(choice?.kind === "search" ? { kind: "search", typed: pick.value } : choice);
        pick.hide();
      }),
      pick.onDidHide(() => resolve(undefined)),
    );
    if (token) disposables.push(token.onCancellationRequested(() => pick.hide()));
  });
  let symbolTimer: NodeJS.Timeout | undefined;
  let symbolQuery = 0;
  disposables.push(
    pick.onDidChangeValue((value) => {
      if (searchItem && WORKSPACE_PREFIX.test(value)) pick.activeItems = [searchItem];
      if (symbolTimer) clearTimeout(symbolTimer);
      const query = ++symbolQuery;
      if (value.trim().length < 2) {
        symbols = [];
        render();
        return;
      }
      symbolTimer = setTimeout(() => {
        void workspaceSymbols(value.trim()).then((found) => {
          if (query !== symbolQuery) return; // A later keystroke asked again.
          symbols = found.map((symbol) => ({
            label: `$(symbol-${symbolIcon(symbol.kind)}) ${symbol.name}`,
            description: `${symbol.containerName ? `${symbol.containerName} · ` : ""}${relative(symbol.location.uri)}`,
            alwaysShow: true,
            choice: { kind: "symbol", symbol },
          }));
          render();
        });
      }, SYMBOL_DELAY_MS);
    }),
  );
  pick.show();
  void workspaceFiles(deps).then((found) => {
    files = found;
    pick.busy = false;
    render();
  });
  try {
    const choice = await chosen;
    if (choice?.kind === "search") return await searchContext(choice.typed, deps, token);
    return choice ? await contextFor(choice, deps) : [];
  } finally {
    if (symbolTimer) clearTimeout(symbolTimer);
    for (const d of disposables) d.dispose();
  }
}

/**
 * `@workspace`: "workspace <words>" typed in the picker searches for the words; otherwise an input
 * box asks, prefilled with the question typed in the chat so far.
 */
async function searchContext(
  typed: string,
  deps: MentionDeps,
  token: vscode.CancellationToken | undefined,
): Promise<ContextInput[]> {
  const search = deps.searchWorkspace;
  if (!search) return [];
  let query: string | undefined = WORKSPACE_PREFIX.test(typed) ? typed.replace(WORKSPACE_PREFIX, "").trim() : "";
  if (query === "") {
    query = await vscode.window.showInputBox(
      {
        title: "Search the workspace",
        prompt: "Identifiers or words to look for; the best matching snippets are attached",
        value: (deps.draft ?? "").trim(),
        ignoreFocusOut: true,
      },
      token,
    );
  }
  if (!query?.trim()) return [];
  const source = new vscode.CancellationTokenSource();
  const cancel = token?.onCancellationRequested(() => source.cancel());
  try {
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: "Searching the workspace…" },
      () => search(query, source.token),
    );
    if (!outcome.input) {
      deps.notify(outcome.message);
      return [];
    }
    return [outcome.input];
  } finally {
    cancel?.dispose();
    source.dispose();
  }
}

async function workspaceFiles(deps: MentionDeps): Promise<Item[]> {
  // files.exclude applies (exclude undefined); the root .gitignore of each folder on top of it.
  const uris = await vscode.workspace.findFiles("**/*", undefined, MAX_FILES);
  const ignores = new Map<string, ((path: string) => boolean) | null>();
  const items: Item[] = [];
  for (const uri of uris) {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (folder) {
      if (!ignores.has(folder.uri.toString())) ignores.set(folder.uri.toString(), await gitignoreOf(folder.uri));
      const rules = ignores.get(folder.uri.toString());
      const path = relative(uri);
      if (rules?.(path)) continue;
    }
    const excluded = deps.isExcluded(uri);
    items.push({
      label: `$(${excluded ? "lock" : "file"}) ${uri.path.split("/").pop() ?? ""}`,
      description: relative(uri),
      detail: excluded ? "matches localCode.context.exclude: never attached" : undefined,
      choice: { kind: "file", uri },
    });
  }
  return items.sort((a, b) => (a.description ?? "").localeCompare(b.description ?? ""));
}

async function gitignoreOf(folder: vscode.Uri): Promise<((path: string) => boolean) | null> {
  try {
    const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, ".gitignore"));
    return gitignoreFilter(new TextDecoder().decode(bytes));
  } catch {
    return null; // No .gitignore.
  }
}

async function workspaceSymbols(query: string): Promise<vscode.SymbolInformation[]> {
  try {
    const found =
      (await vscode.commands.executeCommand<vscode.SymbolInformation[] | undefined>(
        "vscode.executeWorkspaceSymbolProvider",
        query,
      )) ?? [];
    return found.filter((s) => vscode.workspace.getWorkspaceFolder(s.location.uri)).slice(0, MAX_SYMBOLS);
  } catch {
    return []; // No symbol provider for these languages.
  }
}

function symbolIcon(kind: vscode.SymbolKind): string {
  const name = vscode.SymbolKind[kind]?.toLowerCase() ?? "misc";
  return name === "typeparameter" ? "type-parameter" : name === "enummember" ? "enum-member" : name;
}

async function contextFor(choice: Exclude<Choice, { kind: "search" }>, deps: MentionDeps): Promise<ContextInput[]> {
  switch (choice.kind) {
    case "file": {
      if (deps.isExcluded(choice.uri)) {
        deps.refuse(choice.uri);
        return [];
      }
      return [fileContext(await vscode.workspace.openTextDocument(choice.uri), "file")];
    }
    case "symbol": {
      const { uri, range } = choice.symbol.location;
      if (deps.isExcluded(uri)) {
        deps.refuse(uri);
        return [];
      }
      const document = await vscode.workspace.openTextDocument(uri);
      const start = range.start.line;
      const end = Math.min(range.end.line, start + MAX_SYMBOL_LINES - 1);
      return [
        {
          kind: "snippet",
          label: choice.symbol.name,
          path: relative(uri),
          languageId: document.languageId,
          range: { startLine: start + 1, endLine: end + 1 },
          content: document.getText(new vscode.Range(start, 0, end + 1, 0)),
        },
      ];
    }
    case "problems":
      return [problemsContext(choice.uri, deps)];
    case "diff": {
      const repo = gitRepository();
      // Staged and unstaged: everything not committed.
      const raw = repo ? (await repo.diff(true)) + (await repo.diff(false)) : "";
      const { text, omitted } = filterDiff(raw, (path) =>
        deps.isExcluded(vscode.Uri.joinPath(repo?.rootUri ?? vscode.Uri.file("/"), path)),
      );
      if (omitted.length > 0)
        deps.notify(`The diff leaves out ${omitted.join(", ")}: it matches localCode.context.exclude.`);
      if (text.trim() === "") {
        deps.notify("There are no uncommitted changes to attach.");
        return [];
      }
      return [
        {
          kind: "snippet",
          label: "git diff",
          path: "uncommitted changes (git diff)",
          languageId: "diff",
          content: text,
        },
      ];
    }
  }
}

function problemsContext(uri: vscode.Uri | null, deps: MentionDeps): ContextInput {
  const entries: [vscode.Uri, readonly vscode.Diagnostic[]][] = uri
    ? [[uri, vscode.languages.getDiagnostics(uri)]]
    : vscode.languages.getDiagnostics();
  const problems: Problem[] = [];
  for (const [file, diagnostics] of entries) {
    // The message of a problem in an excluded file can quote it (a value on a line): left out.
    if (deps.isExcluded(file)) continue;
    for (const d of diagnostics)
      problems.push({
        path: relative(file),
        line: d.range.start.line + 1,
        column: d.range.start.character + 1,
        severity: SEVERITY[d.severity],
        message: d.message,
        source: d.source ?? null,
        code: typeof d.code === "object" ? String(d.code.value) : (d.code ?? null),
      });
  }
  const { text, count } = formatProblems(problems);
  const where = uri ? relative(uri) : "the workspace";
  return {
    kind: "snippet",
    label: `Problems: ${uri ? (uri.path.split("/").pop() ?? where) : "workspace"} (${count})`,
    path: `Problems in ${where}`,
    languageId: null,
    content: text,
  };
}

/** The first repository of VS Code's built-in git extension (its API, version 1), if any. */
interface GitRepository {
  rootUri: vscode.Uri;
  diff(cached?: boolean): Promise<string>;
}
function gitRepository(): GitRepository | undefined {
  const git = vscode.extensions.getExtension<{ getAPI(version: 1): { repositories: GitRepository[] } }>("vscode.git");
  if (!git?.isActive) return undefined;
  try {
    return git.exports.getAPI(1).repositories[0];
  } catch {
    return undefined;
  }
}
