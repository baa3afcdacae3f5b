/**
 * "Local Code: Completion Statistics": the provider's CompletionStats (pure, in core) as a
 * read-only markdown document, rebuilt each time it is opened. In memory only, never sent anywhere.
 */
import * as vscode from "vscode";
import { statsMarkdown } from "../../core/completion";
import type { InlineCompletionProvider } from "./inlineCompletionProvider";

export const STATS_COMMAND = "localCode.completionStatistics";
const SCHEME = "local-code-stats";

export function registerCompletionStatistics(provider: InlineCompletionProvider): vscode.Disposable {
  const changed = new vscode.EventEmitter<vscode.Uri>();
  const uri = vscode.Uri.from({ scheme: SCHEME, path: "/Completion Statistics.md" });
  const disposables: vscode.Disposable[] = [
    changed,
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, {
      onDidChange: changed.event,
      provideTextDocumentContent: () => statsMarkdown(provider.stats.summary(), provider.currentActivity.lastReason),
    }),
    vscode.commands.registerCommand(STATS_COMMAND, async () => {
      changed.fire(uri);
      const document = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(document, { preview: true });
      return provider.stats.summary();
    }),
  ];
  return { dispose: () => disposables.forEach((d) => d.dispose()) };
}
