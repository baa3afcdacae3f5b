/**
 * Apply from chat: the "Apply" button of a chat code block runs this command. It finds the file and
 * the lines the block belongs to (src/core/edit/apply.ts decides), asks when nothing fits, and opens
 * the same hunk-by-hunk review as Edit Selection.
 */
import * as vscode from "vscode";
import {
  ApplyCodeBlockArgsSchema,
  blockLines,
  chooseApplyTarget,
  splitLines,
  type LineRange,
  type SymbolInfo,
} from "../../core/edit";
import { documentSymbols, type EditController, type EditDeps, type EditOutcome } from "./editController";
import { REVIEW_SCHEME } from "./editSession";

const TITLE = "Apply from chat";

/** How the chat names a file to the model (workspace-relative path, or the name of an untitled one). */
function displayPath(document: vscode.TextDocument): string {
  return document.isUntitled
    ? document.uri.path.split("/").pop() || "Untitled"
    : vscode.workspace.asRelativePath(document.uri, false);
}

/** The document a remembered selection's path names: an open one, else the file in a workspace folder. */
async function documentFor(path: string): Promise<vscode.TextDocument | undefined> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme !== REVIEW_SCHEME && displayPath(d) === path);
  if (open) return open;
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    try {
      return await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, path));
    } catch {
      // Not in this folder.
    }
  }
  return undefined;
}

/** The text editor the chat's user last worked in (the chat passes its URI: focus is in the webview). */
function editorFor(uri: string | null): vscode.TextEditor | undefined {
  const editors = vscode.window.visibleTextEditors.filter((e) => e.document.uri.scheme !== REVIEW_SCHEME);
  return (
    editors.find((e) => e.document.uri.toString() === uri) ??
    (vscode.window.activeTextEditor?.document.uri.scheme === REVIEW_SCHEME
      ? undefined
      : vscode.window.activeTextEditor) ??
    editors[0]
  );
}

export async function applyCodeBlock(
  controller: EditController,
  log: EditDeps["log"],
  raw: unknown,
): Promise<EditOutcome> {
  const parsed = ApplyCodeBlockArgsSchema.safeParse(raw);
  if (!parsed.success) {
    log.warn(`edit: ignored an invalid Apply request: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
    return "failed";
  }
  const { code, selection, editorUri } = parsed.data;
  const block = blockLines(code);
  const editor = editorFor(editorUri);
  let document: vscode.TextDocument | undefined;
  let remembered = selection;
  let missing: string | null = null;
  if (selection) {
    document = await documentFor(selection.path);
    if (!document) {
      missing = `the file the question was about (${selection.path}) is not open and was not found`;
      remembered = null;
    }
  }
  document ??= editor?.document;
  if (!document) {
    void vscode.window.showInformationMessage(
      `Local Code: ${missing ? `${missing}. ` : ""}Open the file the code belongs to, then press Apply again.`,
    );
    return "noRange";
  }
  const lines = splitLines(document.getText());
  const symbols = await documentSymbols(document);
  const target = chooseApplyTarget({ block, lines, symbols, selection: remembered });
  let range: LineRange | undefined;
  if (target.kind === "range") {
    range = target.range;
    const note = missing ? `${missing}; applying to ${target.label} of the open file.` : target.note;
    if (note) void vscode.window.showInformationMessage(`Local Code: ${note}`);
    log.info(`edit: Apply from chat goes to ${target.label} (${target.source})`);
  } else {
    range = await askWhere(document, lines, symbols, editor, target.reason ?? missing);
    if (!range) return "noRange";
  }
  const column =
    vscode.window.visibleTextEditors.find((e) => e.document === document)?.viewColumn ?? editor?.viewColumn;
  return controller.proposeRewrite({ document, range, rewrite: block, title: TITLE, column });
}

/** Where the code goes when nothing matched: a symbol, the cursor, or the whole file. */
async function askWhere(
  document: vscode.TextDocument,
  lines: readonly string[],
  symbols: readonly SymbolInfo[],
  editor: vscode.TextEditor | undefined,
  reason: string | null,
): Promise<LineRange | undefined> {
  type Item = vscode.QuickPickItem & { range: LineRange };
  const items: Item[] = [];
  if (editor?.document === document) {
    const s = editor.selection;
    if (!s.isEmpty) {
      const end = s.end.character === 0 && s.end.line > s.start.line ? s.end.line - 1 : s.end.line;
      items.push({
        label: "$(selection) Replace the selection",
        description: `lines ${s.start.line + 1}-${end + 1}`,
        range: { startLine: s.start.line, endLine: end },
      });
    }
    const line = s.active.line;
    items.push({
      label: "$(insert) Insert above the cursor",
      description: `line ${line + 1}`,
      range: { startLine: line, endLine: line - 1 },
    });
  }
  const walk = (list: readonly SymbolInfo[], depth: number): void => {
    for (const symbol of list) {
      if (symbol.range.endLine > symbol.range.startLine)
        items.push({
          label: `${"  ".repeat(depth)}$(symbol-${symbol.kind.toLowerCase()}) Replace ${symbol.kind.toLowerCase()} ${symbol.name}`,
          description: `lines ${symbol.range.startLine + 1}-${symbol.range.endLine + 1}`,
          range: symbol.range,
        });
      if (depth < 1) walk(symbol.children ?? [], depth + 1);
    }
  };
  walk(symbols, 0);
  items.push({
    label: "$(file) Replace the whole file",
    description: `${lines.length} lines`,
    range: { startLine: 0, endLine: lines.length - 1 },
  });
  const name = document.uri.path.split("/").pop();
  const picked = await vscode.window.showQuickPick(items, {
    title: `Local Code: ${reason ? `${reason}. ` : ""}Where should the code go in ${name}?`,
    placeHolder: "The code block did not match any part of the file: pick where it goes",
    matchOnDescription: true,
  });
  return picked?.range;
}
