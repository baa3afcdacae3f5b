/**
 * Wires the extension: builds every object explicitly and registers each disposable as it is
 * created. Logic lives in src/core; the model runs in the worker process.
 */
import * as vscode from "vscode";
import * as z from "zod";
import { WorkerClient } from "../client/workerClient";
import { ExtraContextRing } from "../core/completion";
import { ChatViewProvider } from "./chat/chatViewProvider";
import { ContextFeeder } from "./completion/contextFeeder";
import { InlineCompletionProvider } from "./completion/inlineCompletionProvider";
import { SummarizeCommands } from "./summarize/summarizeCommands";
import type { SettingsResult } from "../core/config/settings";
import { DisposableStore } from "./disposables";
import { ensuringEngine } from "./models/ensuringEngine";
import { createCatalogResolver } from "./models/catalogResolver";
import { ModelManager } from "./models/modelManager";
import { registerModelCommands } from "./models/modelCommands";
import { readSettings } from "./settingsReader";
import { StatusBar } from "./statusBar";

let store: DisposableStore | undefined;
let client: WorkerClient | undefined;

export interface ExtensionApi {
  /** For tests in the extension host: the engine and its worker pid. */
  engine: WorkerClient;
  models: ModelManager;
  chat: ChatViewProvider;
  /** Inline completion's extra context from other files (opened, edited, copied from). */
  extraContext: ExtraContextRing;
  /** The validated settings as the extension sees them now. */
  settings(): SettingsResult;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  // zod's JIT probes `navigator`, which code-server's extension host reports as an error.
  z.config({ jitless: true });
  store = new DisposableStore();
  const disposables = store;
  const log = disposables.add(vscode.window.createOutputChannel("Local Code Assistant", { log: true }));

  let current = readSettings();
  const reportSettingErrors = () => {
    if (current.errors.length === 0) return;
    for (const error of current.errors) log.error(`Invalid setting ${error}`);
    void vscode.window.showErrorMessage(`Local Code Assistant: ${current.errors.join("; ")}`, "Open Settings").then((choice) => {
      if (choice) void vscode.commands.executeCommand("workbench.action.openSettings", "localCode");
    });
  };
  reportSettingErrors();

  const engine = new WorkerClient({
    workerPath: context.asAbsolutePath("dist/worker.js"),
    gpu: current.settings.gpu,
    threads: current.settings.threads,
    logLevel: current.settings.logLevel,
    log: (level, message) => log[level === "warn" ? "warn" : level](message),
  });
  client = engine;

  const models = disposables.add(new ModelManager(engine, () => current, createCatalogResolver(context, engine, log)));
  disposables.add(registerModelCommands(context, engine, models, log, () => current.settings, () => current.invalidKeys));

  const ring = new ExtraContextRing();
  disposables.add(new ContextFeeder(ring));
  const completion = disposables.add(new InlineCompletionProvider(engine, models, () => current.settings.completion, ring, log));
  disposables.add(vscode.languages.registerInlineCompletionItemProvider({ pattern: "**" }, completion));

  const chat = disposables.add(
    new ChatViewProvider(context.extensionUri, ensuringEngine(engine, models), context.workspaceState, log, {
      getSettings: () => current.settings.chat,
      ensureModel: (signal) => models.ensureLoaded("chat", signal),
    }),
  );
  disposables.add(chat.register());
  const summarize = disposables.add(new SummarizeCommands(ensuringEngine(engine, models), chat, log, () => models.ensureLoaded("chat")));
  disposables.add(summarize.register());

  const statusBar = disposables.add(new StatusBar());
  const refreshStatus = () =>
    statusBar.update({
      engine: engine.state,
      completionModel: models.modelName("completion") ?? modelLabel(current.settings.completion.model),
      modelProblem: models.problem("completion") ?? completion.currentActivity.problem,
      completionEnabled: current.settings.completion.enabled,
      generating: completion.currentActivity.generating,
      lastLatencyMs: completion.currentActivity.lastLatencyMs,
    });
  disposables.add(completion.onDidChangeActivity(refreshStatus));
  let crashReason: string | null = null;
  disposables.add(engine.onDidChangeState((state) => {
    refreshStatus();
    if (state.kind === "crashed") {
      completion.modelChanged();
      crashReason = state.reason;
      log.warn(`Model worker stopped (${state.reason}); restarting in ${state.restartInMs} ms.`);
    }
    if (state.kind === "ready" && crashReason) {
      // Tell the user once it is back, without a popup: they may be typing.
      disposables.add(vscode.window.setStatusBarMessage(`$(debug-restart) Local Code: model worker restarted after it stopped (${crashReason})`, 10_000));
      log.info(`Model worker restarted after it stopped (${crashReason}).`);
      crashReason = null;
    }
    if (state.kind === "failed")
      void vscode.window.showErrorMessage(`Local Code Assistant: ${state.reason}`, "Restart Worker", "Show Log").then((choice) => {
        if (choice === "Restart Worker") void vscode.commands.executeCommand("localCode.restartWorker");
        if (choice === "Show Log") log.show();
      });
  }));
  disposables.add(models.onDidChange(refreshStatus));
  refreshStatus();

  disposables.add(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration("localCode")) return;
      const previous = current.settings;
      current = readSettings();
      reportSettingErrors();
      if (event.affectsConfiguration("localCode.gpu") || event.affectsConfiguration("localCode.threads"))
        log.info("GPU/threads settings change after a worker restart (Local Code: Restart Model Worker).");
      completion.settingsChanged();
      for (const slot of ["completion", "chat"] as const)
        if (previous[slot].model !== current.settings[slot].model || previous[slot].contextSize !== current.settings[slot].contextSize) {
          if (slot === "completion") completion.modelChanged();
          await models.reload(slot);
        }
      if (current.settings.completion.model !== previous.completion.model)
        void models.ensureLoaded("completion").catch((error: Error) => log.warn(`Completion model not loaded: ${error.message}`));
      refreshStatus();
    }),
  );

  disposables.add(vscode.commands.registerCommand("localCode.showLog", () => log.show()));
  disposables.add(
    vscode.commands.registerCommand("localCode.restartWorker", async () => {
      await engine.restart();
      void vscode.window.setStatusBarMessage("Local Code: model worker restarted", 3000);
    }),
  );
  disposables.add(
    vscode.commands.registerCommand("localCode.toggleInlineCompletion", async () => {
      const config = vscode.workspace.getConfiguration("localCode");
      await config.update("completion.enabled", !current.settings.completion.enabled, vscode.ConfigurationTarget.Global);
    }),
  );
  disposables.add(vscode.commands.registerCommand("localCode.triggerInlineCompletion", () => vscode.commands.executeCommand("editor.action.inlineSuggest.trigger")));
  // Not contributed: VS Code runs it when a suggestion is accepted (speculative next suggestion).
  disposables.add(vscode.commands.registerCommand("localCode.completionAccepted", (uri: string) => completion.accepted(uri)));
  disposables.add(
    vscode.commands.registerCommand("localCode.statusMenu", async () => {
      const items: (vscode.QuickPickItem & { command: string })[] = [
        { label: current.settings.completion.enabled ? "$(circle-slash) Disable Inline Completion" : "$(check) Enable Inline Completion", command: "localCode.toggleInlineCompletion" },
        { label: "$(comment-discussion) Open Chat", command: "localCode.openChat" },
        { label: "$(library) Select Model", command: "localCode.selectModel" },
        { label: "$(server) Show Hardware and Model Choice", command: "localCode.showHardware" },
        { label: "$(debug-restart) Restart Model Worker", command: "localCode.restartWorker" },
        { label: "$(output) Show Log", command: "localCode.showLog" },
      ];
      const all = await vscode.commands.getCommands(true);
      const pick = await vscode.window.showQuickPick(items.filter((i) => all.includes(i.command)), { placeHolder: "Local Code Assistant" });
      if (pick) await vscode.commands.executeCommand(pick.command);
    }),
  );

  // Load the completion model once the window is up, so the first suggestion does not wait for it.
  void models.ensureLoaded("completion").catch((error: Error) => log.warn(`Completion model not loaded: ${error.message}`));

  return { engine, models, chat, extraContext: ring, settings: () => current };
}

function modelLabel(setting: string): string | null {
  return setting === "auto" ? null : setting.split(/[\\/]/).pop() ?? setting;
}

export async function deactivate(): Promise<void> {
  store?.dispose();
  store = undefined;
  await client?.stop();
  client = undefined;
}
