/**
 * The small commands that belong to no feature module: the status menu, the log, and inline
 * completion's toggle / trigger / accepted hook.
 */
import * as vscode from "vscode";
import type { ModelRuntime } from "../core/runtime/modelRuntime";
import type { InlineCompletionProvider } from "./completion/inlineCompletionProvider";

export function registerCommands(
  runtime: ModelRuntime,
  completion: Pick<InlineCompletionProvider, "accepted">,
  log: vscode.LogOutputChannel,
): vscode.Disposable {
  const enabled = () => runtime.settings.settings.completion.enabled;
  return vscode.Disposable.from(
    vscode.commands.registerCommand("localCode.showLog", () => log.show()),
    vscode.commands.registerCommand("localCode.toggleInlineCompletion", async () => {
      await vscode.workspace
        .getConfiguration("localCode")
        .update("completion.enabled", !enabled(), vscode.ConfigurationTarget.Global);
    }),
    vscode.commands.registerCommand("localCode.triggerInlineCompletion", () =>
      vscode.commands.executeCommand("editor.action.inlineSuggest.trigger"),
    ),
    // Not contributed: VS Code runs it when a suggestion is accepted (speculative next suggestion).
    vscode.commands.registerCommand("localCode.completionAccepted", (uri: string) => completion.accepted(uri)),
    vscode.commands.registerCommand("localCode.statusMenu", async () => {
      const remote = runtime.settings.settings.backend === "remote";
      const items: (vscode.QuickPickItem & { command: string })[] = [
        {
          label: enabled() ? "$(circle-slash) Disable Inline Completion" : "$(check) Enable Inline Completion",
          command: "localCode.toggleInlineCompletion",
        },
        { label: "$(comment-discussion) Open Chat", command: "localCode.openChat" },
        { label: "$(library) Select Model", command: "localCode.selectModel" },
        { label: "$(server) Show Hardware and Model Choice", command: "localCode.showHardware" },
        // The active engine names its own recovery (restart the worker, check the server).
        { label: `$(debug-restart) ${runtime.engine.recoveryLabel}`, command: "localCode.restartWorker" },
        ...(remote ? [{ label: "$(key) Set Remote API Key", command: "localCode.setRemoteApiKey" }] : []),
        { label: "$(graph) Completion Statistics", command: "localCode.completionStatistics" },
        { label: "$(output) Show Log", command: "localCode.showLog" },
        { label: "$(book) Get Started (walkthrough)", command: "localCode.openWalkthrough" },
      ];
      const all = await vscode.commands.getCommands(true);
      const pick = await vscode.window.showQuickPick(
        items.filter((i) => all.includes(i.command)),
        { placeHolder: "Local Code Assistant" },
      );
      if (pick) await vscode.commands.executeCommand(pick.command);
    }),
  );
}
