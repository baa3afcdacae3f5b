/** The code-block actions of chat answers: Copy, Insert at Cursor, New File. */
import * as vscode from "vscode";
import { languageIdForFence } from "../../core/chat/languages";
import type { CodeAction } from "../../core/protocol/webviewProtocol";

/**
 * Run one action. `editor` is the text editor the user last worked in (a focused webview is not a
 * text editor, so the adapter tracks it). Returns a message for the user when nothing was done.
 */
export async function runCodeAction(
  action: Exclude<CodeAction, "apply">,
  code: string,
  language: string | null,
  editor: vscode.TextEditor | undefined,
): Promise<string | undefined> {
  switch (action) {
    case "copy":
      await vscode.env.clipboard.writeText(code);
      vscode.window.setStatusBarMessage("$(check) Code copied", 2000);
      return undefined;
    case "insert": {
      if (!editor || editor.document.isClosed) {
        return "Open a file in an editor to insert the code at its cursor.";
      }
      const ok = await editor.edit((edit) => {
        for (const selection of editor.selections) {
          edit.replace(selection, code);
        }
      });
      if (!ok) {
        return "The code could not be inserted (the editor may be read-only).";
      }
      await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preserveFocus: false });
      return undefined;
    }
    case "newFile": {
      const wanted = languageIdForFence(language);
      const known = await vscode.languages.getLanguages();
      const document = await vscode.workspace.openTextDocument({
        language: known.includes(wanted) ? wanted : "plaintext",
        content: code,
      });
      await vscode.window.showTextDocument(document, { preview: false });
      return undefined;
    }
  }
}
