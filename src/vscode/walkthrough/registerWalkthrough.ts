/**
 * The first-run walkthrough (package.json `contributes.walkthroughs`): the command that opens it
 * (status bar menu, first-run prompt, palette) and the two step commands that give a new user
 * something to try on without a file of their own: a sample to complete, a sample to summarize.
 */
import * as vscode from "vscode";
import { SUMMARIZE_COMMANDS } from "../summarize/summarizeCommands";
import { COMPLETION_SAMPLE, SUMMARIZE_SAMPLE, WALKTHROUGH, walkthroughRef } from "../../core/walkthrough/ids";

/** Opens the walkthrough in the Welcome editor. */
export async function openWalkthrough(extensionId: string): Promise<void> {
  await vscode.commands.executeCommand("workbench.action.openWalkthrough", walkthroughRef(extensionId), false);
}

async function openSample(sample: { language: string; text: string }): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument({ language: sample.language, content: sample.text });
  return vscode.window.showTextDocument(document, { preview: false, viewColumn: vscode.ViewColumn.Active });
}

export function registerWalkthrough(context: vscode.ExtensionContext): vscode.Disposable {
  const { commands } = WALKTHROUGH;
  return vscode.Disposable.from(
    vscode.commands.registerCommand(commands.open.id, () => openWalkthrough(context.extension.id)),
    vscode.commands.registerCommand(commands.tryCompletion.id, async () => {
      const editor = await openSample(COMPLETION_SAMPLE);
      const end = editor.document.positionAt(editor.document.getText().length);
      editor.selection = new vscode.Selection(end, end);
      await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
    }),
    vscode.commands.registerCommand(commands.trySummarize.id, async () => {
      const editor = await openSample(SUMMARIZE_SAMPLE);
      const lastLine = editor.document.lineAt(Math.max(0, editor.document.lineCount - 2));
      editor.selection = new vscode.Selection(new vscode.Position(0, 0), lastLine.range.end);
      await vscode.commands.executeCommand(SUMMARIZE_COMMANDS.summarizeSelection);
    }),
  );
}
