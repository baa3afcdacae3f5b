/**
 * Wires the extension: builds every object explicitly and registers each disposable as it is
 * created. Logic lives in src/core; the model runs in the worker process.
 */
import * as vscode from "vscode";
import * as z from "zod";
import { RemoteEngine } from "../client/remote/remoteEngine";
import { WorkerClient } from "../client/workerClient";
import { backendPlan, type BackendPlan } from "../core/config/settings";
import { isCancellation } from "../core/engine/engine";
import { SwitchingEngine } from "../core/engine/switchingEngine";
import { ExtraContextRing } from "../core/completion";
import { ChatViewProvider } from "./chat/chatViewProvider";
import { ContextFeeder } from "./completion/contextFeeder";
import { InlineCompletionProvider } from "./completion/inlineCompletionProvider";
import { registerCompletionStatistics } from "./completion/statsView";
import { registerCompletionWarmUp } from "./completion/warmUpTrigger";
import { SummarizeCommands } from "./summarize/summarizeCommands";
import { registerEditFeatures } from "./edit/registerEditFeatures";
import type { SettingsResult } from "../core/config/settings";
import { DisposableStore } from "./disposables";
import { ensuringEngine } from "./models/ensuringEngine";
import { createCatalogResolver } from "./models/catalogResolver";
import { ModelManager } from "./models/modelManager";
import { registerModelCommands } from "./models/modelCommands";
import { readSettings } from "./settingsReader";
import { StatusBar } from "./statusBar";
import { apiKeyStore, registerApiKeyCommands } from "./remote/apiKeyCommands";
import { recordingLog } from "./remote/recordingLog";
import { registerWalkthrough } from "./walkthrough/registerWalkthrough";

let store: DisposableStore | undefined;
let client: SwitchingEngine | undefined;

export interface ExtensionApi {
  /** For tests in the extension host: the engine the features use (the active backend's). */
  engine: SwitchingEngine;
  /** The local model worker while localCode.backend is local (null while remote: it is not started). */
  worker(): WorkerClient | null;
  /** The remote engine while localCode.backend is remote. */
  remote(): RemoteEngine | null;
  /** The status bar's text and tooltip now. */
  statusText(): { text: string; tooltip: string };
  /** The last lines written to the log (tests check that secrets never reach it). */
  logLines(): readonly string[];
  models: ModelManager;
  chat: ChatViewProvider;
  /** Inline completion's extra context from other files (opened, edited, copied from). */
  extraContext: ExtraContextRing;
  /** The validated settings as the extension sees them now. */
  settings(): SettingsResult;
}

export async function activate(context: vscode.ExtensionContext): Promise<ExtensionApi> {
  // zod's JIT probes `navigator`, which code-server's extension host reports as an error.
  z.config({ jitless: true });
  store = new DisposableStore();
  const disposables = store;
  const channel = disposables.add(vscode.window.createOutputChannel("Local Code Assistant", { log: true }));
  const { log, lines: logLines } = recordingLog(channel);

  let current = readSettings();
  const reportSettingErrors = () => {
    if (current.errors.length === 0) return;
    for (const error of current.errors) log.error(`Invalid setting ${error}`);
    void vscode.window.showErrorMessage(`Local Code Assistant: ${current.errors.join("; ")}`, "Open Settings").then((choice) => {
      if (choice) void vscode.commands.executeCommand("workbench.action.openSettings", "localCode");
    });
  };
  reportSettingErrors();

  const engineLog = (level: "error" | "warn" | "info" | "debug", message: string) => log[level](message);
  const engine = new SwitchingEngine((error) => log.warn(`Stopping the previous backend: ${error.message}`));
  client = engine;
  const keys = disposables.add(apiKeyStore(context.secrets));
  disposables.add(registerApiKeyCommands(context.secrets));
  let apiKey = await keys.get();
  // Bumped when the key changes, so the remote engine is rebuilt without the key in its id.
  let keyVersion = 0;
  const makeWorker = () =>
    new WorkerClient({
      workerPath: context.asAbsolutePath("dist/worker.js"),
      gpu: current.settings.gpu,
      threads: current.settings.threads,
      logLevel: current.settings.logLevel,
      log: engineLog,
    });
  const makeRemote = (plan: Extract<BackendPlan, { kind: "remote" }>) =>
    new RemoteEngine({
      url: plan.url,
      apiKey: apiKey || undefined,
      completionRoute: plan.remote.completionRoute,
      fimFamily: plan.remote.fimFamily,
      requestTimeoutMs: plan.remote.requestTimeoutMs,
      stallTimeoutMs: plan.remote.stallTimeoutMs,
      log: engineLog,
    });
  let plan = backendPlan(current);
  let reportedProblem: string | null = null;
  /** Points the engine at the configured backend; true when it changed (nothing is loaded on the new one). */
  const applyBackend = (): boolean => {
    plan = backendPlan(current);
    if (plan.kind === "misconfigured") {
      engine.useNone(plan.problem);
      if (reportedProblem !== plan.problem) {
        reportedProblem = plan.problem;
        log.error(plan.problem);
        void vscode.window.showErrorMessage(`Local Code Assistant: ${plan.problem}`, "Open Settings").then((choice) => {
          if (choice) void vscode.commands.executeCommand("workbench.action.openSettings", "localCode.remote");
        });
      }
      return true;
    }
    reportedProblem = null;
    if (plan.kind === "local") return engine.use("local", makeWorker);
    const remotePlan = plan;
    const changed = engine.use(`remote ${JSON.stringify(remotePlan)} key#${keyVersion}`, () => makeRemote(remotePlan));
    if (changed) log.info(`Backend: remote server ${remotePlan.url}${apiKey ? " (with an API key)" : ""}; the local model worker is not running.`);
    return changed;
  };
  applyBackend();

  const models = disposables.add(new ModelManager(engine, () => current, createCatalogResolver(context, engine, log)));
  disposables.add(registerModelCommands(context, engine, models, log, () => current.settings, () => current.invalidKeys));

  const ring = new ExtraContextRing();
  disposables.add(new ContextFeeder(ring));
  const completion = disposables.add(new InlineCompletionProvider(engine, models, () => current.settings.completion, ring, log));
  disposables.add(vscode.languages.registerInlineCompletionItemProvider({ pattern: "**" }, completion));
  disposables.add(registerCompletionWarmUp(completion, () => current.settings.completion));
  disposables.add(registerCompletionStatistics(completion));

  const chat = disposables.add(
    new ChatViewProvider(context.extensionUri, ensuringEngine(engine, models), context.workspaceState, log, {
      getSettings: () => current.settings.chat,
      ensureModel: (signal) => models.ensureLoaded("chat", signal),
    }),
  );
  disposables.add(chat.register());
  const summarize = disposables.add(new SummarizeCommands(ensuringEngine(engine, models), chat, log, () => models.ensureLoaded("chat")));
  disposables.add(summarize.register());
  disposables.add(registerEditFeatures({ engine: ensuringEngine(engine, models), ensureModel: (signal) => models.ensureLoaded("chat", signal), log, state: context.globalState }));

  const statusBar = disposables.add(new StatusBar());
  const refreshStatus = () => {
    const failure = engine.failure;
    statusBar.update({
      engine: engine.state,
      completionModel: models.modelName("completion") ?? (plan.kind === "local" ? modelLabel(current.settings.completion.model) : current.settings.remote.completionModel || null),
      modelProblem: engine.problem ?? models.problem("completion") ?? completion.currentActivity.problem,
      completionEnabled: current.settings.completion.enabled,
      generating: completion.currentActivity.generating,
      lastLatencyMs: completion.currentActivity.lastLatencyMs,
      lastReason: completion.currentActivity.lastReason,
      remote: plan.kind === "remote" ? { host: new URL(plan.url).host, failure: failure ? { code: failure.code, message: failure.message } : null } : null,
    });
  };
  disposables.add(completion.onDidChangeActivity(refreshStatus));
  disposables.add(engine.onDidChangeFailure(refreshStatus));
  const switchBackend = () => {
    if (!applyBackend()) return;
    completion.backendChanged();
    models.backendChanged();
    refreshStatus();
    if (plan.kind !== "misconfigured") void models.ensureLoaded("completion").catch((error: Error) => isCancellation(error) || log.warn(`Completion model not loaded: ${error.message}`));
  };
  disposables.add(
    keys.onDidChange(async () => {
      apiKey = await keys.get();
      keyVersion++;
      log.info(apiKey ? "The remote API key was set." : "The remote API key was cleared.");
      if (plan.kind === "remote") switchBackend();
    }),
  );
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
      if (event.affectsConfiguration("localCode.backend") || event.affectsConfiguration("localCode.remote")) {
        completion.settingsChanged();
        switchBackend();
        return;
      }
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
      const active = engine.active;
      if (active instanceof RemoteEngine) {
        const state = await active.checkHealth();
        void vscode.window.setStatusBarMessage(`Local Code: ${active.server} is ${state.kind === "unreachable" ? "still unreachable" : "reachable"}`, 3000);
        return;
      }
      if (!(active instanceof WorkerClient)) return;
      await active.restart();
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
  disposables.add(registerWalkthrough(context));
  disposables.add(
    vscode.commands.registerCommand("localCode.statusMenu", async () => {
      const items: (vscode.QuickPickItem & { command: string })[] = [
        { label: current.settings.completion.enabled ? "$(circle-slash) Disable Inline Completion" : "$(check) Enable Inline Completion", command: "localCode.toggleInlineCompletion" },
        { label: "$(comment-discussion) Open Chat", command: "localCode.openChat" },
        { label: "$(library) Select Model", command: "localCode.selectModel" },
        { label: "$(server) Show Hardware and Model Choice", command: "localCode.showHardware" },
        ...(current.settings.backend === "remote"
          ? [
              { label: "$(debug-restart) Check Server Connection", command: "localCode.restartWorker" },
              { label: "$(key) Set Remote API Key", command: "localCode.setRemoteApiKey" },
            ]
          : [{ label: "$(debug-restart) Restart Model Worker", command: "localCode.restartWorker" }]),
        { label: "$(graph) Completion Statistics", command: "localCode.completionStatistics" },
        { label: "$(output) Show Log", command: "localCode.showLog" },
        { label: "$(book) Get Started (walkthrough)", command: "localCode.openWalkthrough" },
      ];
      const all = await vscode.commands.getCommands(true);
      const pick = await vscode.window.showQuickPick(items.filter((i) => all.includes(i.command)), { placeHolder: "Local Code Assistant" });
      if (pick) await vscode.commands.executeCommand(pick.command);
    }),
  );

  // Load the completion model once the window is up, so the first suggestion does not wait for it.
  void models.ensureLoaded("completion").catch((error: Error) => log.warn(`Completion model not loaded: ${error.message}`));

  return {
    engine,
    models,
    chat,
    extraContext: ring,
    settings: () => current,
    worker: () => (engine.active instanceof WorkerClient ? engine.active : null),
    remote: () => (engine.active instanceof RemoteEngine ? engine.active : null),
    statusText: () => statusBar.current(),
    logLines: () => logLines,
  };
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
