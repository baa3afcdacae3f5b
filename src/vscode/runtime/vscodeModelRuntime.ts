/**
 * The VS Code side of the ModelRuntime (src/core/runtime): builds the engines from the settings
 * and the secret API key, feeds it configuration and key changes, and turns its events into
 * messages. Registers the Restart / Check command.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import { RemoteEngine } from "../../client/remote/remoteEngine";
import { WorkerClient } from "../../client/workerClient";
import { SwitchingEngine } from "../../core/engine/switchingEngine";
import { ModelRuntime } from "../../core/runtime/modelRuntime";
import { DisposableStore } from "../disposables";
import { createCatalogResolver } from "../models/catalogResolver";
import { ModelPlanner } from "../models/modelPlanner";
import { apiKeyStore, registerApiKeyCommands } from "../remote/apiKeyCommands";
import { readSettings } from "../settingsReader";

export interface VscodeModelRuntime extends vscode.Disposable {
  runtime: ModelRuntime;
  /** Shared by the catalog resolver and the model commands: one hardware measurement, one cache of verified files. */
  planner: ModelPlanner;
  /** The local model worker while it is the active backend (null while remote: it is not started). */
  worker(): WorkerClient | null;
  /** The remote engine while it is the active backend. */
  remote(): RemoteEngine | null;
}

export async function createModelRuntime(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
): Promise<VscodeModelRuntime> {
  const disposables = new DisposableStore();
  const settings = readSettings();
  reportSettingErrors(settings.errors, log);
  const keys = disposables.add(apiKeyStore(context.secrets));
  disposables.add(registerApiKeyCommands(context.secrets));
  const engine = new SwitchingEngine((error) => log.warn(`Stopping the previous backend: ${error.message}`));
  const planner = disposables.add(
    new ModelPlanner(engine, path.join(context.globalStorageUri.fsPath, "models"), log, context.globalState),
  );
  // The engines this runtime built, to hand the active one to tests by identity.
  let worker: WorkerClient | null = null;
  let remote: RemoteEngine | null = null;
  const runtime = new ModelRuntime({
    engine,
    settings,
    apiKey: await keys.get(),
    resolveCatalog: createCatalogResolver(planner, log),
    log,
    backends: {
      local: (s) =>
        (worker = new WorkerClient({
          workerPath: context.asAbsolutePath("dist/worker.js"),
          gpu: s.gpu,
          threads: s.threads,
          logLevel: s.logLevel,
          log,
        })),
      remote: (plan, apiKey) =>
        (remote = new RemoteEngine({
          url: plan.url,
          apiKey,
          completionRoute: plan.remote.completionRoute,
          fimFamily: plan.remote.fimFamily,
          requestTimeoutMs: plan.remote.requestTimeoutMs,
          stallTimeoutMs: plan.remote.stallTimeoutMs,
          log,
        })),
    },
  });
  disposables.add(
    runtime.onProblem(
      (problem) =>
        void vscode.window.showErrorMessage(`Local Code Assistant: ${problem}`, "Open Settings").then((choice) => {
          if (choice) void vscode.commands.executeCommand("workbench.action.openSettings", "localCode.remote");
        }),
    ),
  );
  // Tell the user once the worker is back, without a popup: they may be typing.
  disposables.add(
    runtime.onDidRecover((reason) =>
      disposables.add(
        vscode.window.setStatusBarMessage(
          `$(debug-restart) Local Code: model worker restarted after it stopped (${reason})`,
          10_000,
        ),
      ),
    ),
  );
  disposables.add(
    runtime.onDidFail(
      (reason) =>
        void vscode.window
          .showErrorMessage(`Local Code Assistant: ${reason}`, "Restart Worker", "Show Log")
          .then((choice) => {
            if (choice === "Restart Worker") void vscode.commands.executeCommand("localCode.restartWorker");
            if (choice === "Show Log") log.show();
          }),
    ),
  );
  disposables.add(keys.onDidChange(async () => runtime.apiKeyChanged(await keys.get())));
  disposables.add(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration("localCode")) return;
      const next = readSettings();
      reportSettingErrors(next.errors, log);
      await runtime.settingsChanged(next, (section) => event.affectsConfiguration(section));
    }),
  );
  disposables.add(
    vscode.commands.registerCommand("localCode.restartWorker", async () => {
      const message = await runtime.recover();
      void vscode.window.setStatusBarMessage(`Local Code: ${message}`, 3000);
    }),
  );
  return {
    runtime,
    planner,
    worker: () => (worker !== null && engine.active === worker ? worker : null),
    remote: () => (remote !== null && engine.active === remote ? remote : null),
    dispose: () => {
      disposables.dispose();
      runtime.dispose();
    },
  };
}

function reportSettingErrors(errors: readonly string[], log: vscode.LogOutputChannel): void {
  if (errors.length === 0) return;
  for (const error of errors) log.error(`Invalid setting ${error}`);
  void vscode.window.showErrorMessage(`Local Code Assistant: ${errors.join("; ")}`, "Open Settings").then((choice) => {
    if (choice) void vscode.commands.executeCommand("workbench.action.openSettings", "localCode");
  });
}
