/** Context chips from the editor: the selection, the current file, other open files (picker). */
import * as vscode from "vscode";
import type { ContextInput } from "../../core/chat/types";

function baseName(uri: vscode.Uri): string {
  return uri.path.split("/").pop() || uri.toString(true);
}

function displayPath(document: vscode.TextDocument): string {
  return document.isUntitled ? baseName(document.uri) : vscode.workspace.asRelativePath(document.uri, false);
}

/** The primary selection of an editor as context; undefined when nothing is selected. */
export function selectionContext(editor: vscode.TextEditor): ContextInput | undefined {
  const selection = editor.selection;
  if (selection.isEmpty) {
    return undefined;
  }
  const document = editor.document;
  const text = document.getText(selection);
  if (text.trim().length === 0) {
    return undefined;
  }
  const startLine = selection.start.line + 1;
  // A selection ending at column 0 of a line does not include that line.
  const endLine =
    selection.end.character === 0 && selection.end.line > selection.start.line
      ? selection.end.line
      : selection.end.line + 1;
  return {
    kind: "selection",
    label:
      startLine === endLine
        ? `${baseName(document.uri)}:${startLine}`
        : `${baseName(document.uri)}:${startLine}-${endLine}`,
    path: displayPath(document),
    languageId: document.languageId,
    range: { startLine, endLine },
    content: text,
  };
}

/** A whole document as context. */
export function fileContext(document: vscode.TextDocument, kind: "file" | "openFile" = "file"): ContextInput {
  return {
    kind,
    label: baseName(document.uri),
    path: displayPath(document),
    languageId: document.languageId,
    range: null,
    content: document.getText(),
  };
}

/** Text editors open in tabs (not just loaded documents), without duplicates. */
function openTabUris(): vscode.Uri[] {
  const seen = new Set<string>();
  const uris: vscode.Uri[] = [];
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      if (tab.input instanceof vscode.TabInputText) {
        const key = tab.input.uri.toString();
        if (!seen.has(key)) {
          seen.add(key);
          uris.push(tab.input.uri);
        }
      }
    }
  }
  return uris;
}

/** Let the user pick open files to attach. Returns [] when cancelled. */
export async function pickOpenFiles(
  current: vscode.Uri | undefined,
  /** localCode.context.exclude: true refuses the file (the caller says so) before it is read. */
  refused: (uri: vscode.Uri) => boolean = () => false,
  token?: vscode.CancellationToken,
): Promise<ContextInput[]> {
  const uris = openTabUris().filter((uri) => uri.toString() !== current?.toString());
  if (uris.length === 0) {
    void vscode.window.showInformationMessage("There are no other open files to attach.");
    return [];
  }
  const items = uris.map((uri) => ({
    label: baseName(uri),
    description: uri.scheme === "file" ? vscode.workspace.asRelativePath(uri, false) : uri.toString(true),
    uri,
  }));
  const picked = await vscode.window.showQuickPick(
    items,
    {
      canPickMany: true,
      title: "Attach open files to the chat",
      placeHolder: "Select the files the model should see",
      matchOnDescription: true,
    },
    token,
  );
  const result: ContextInput[] = [];
  for (const item of picked ?? []) {
    if (refused(item.uri)) continue;
    try {
      const document = await vscode.workspace.openTextDocument(item.uri);
      result.push(fileContext(document, "openFile"));
    } catch {
      void vscode.window.showWarningMessage(`Could not read ${item.label}.`);
    }
  }
  return result;
}
