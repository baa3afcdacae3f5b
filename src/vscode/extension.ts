/**
 * Wires the extension: builds every object explicitly and registers each disposable as it is
 * created. Models and backends are owned by the ModelRuntime (src/core/runtime, with its VS Code
 * part in ./runtime); logic lives in src/core; the model runs in the worker process.
 */
import * as vscode from "vscode";
import * as z from "zod";
import type { RemoteEngine } from "../client/remote/remoteEngine";
import type { WorkerClient } from "../client/workerClient";
import type { SettingsResult } from "../core/config/settings";
import type { SwitchingEngine } from "../core/engine/switchingEngine";
import type { ModelManager } from "../core/runtime/modelManager";
import type { ModelRuntime } from "../core/runtime/modelRuntime";
import type { ContextChunk, ExtraContextRing } from "../core/completion";
import { ChatViewProvider } from "./chat/chatViewProvider";
import { registerCommands } from "./commands";
import type { DefinitionLookup } from "./completion/definitionLookup";
import { registerInlineCompletion } from "./completion/registerInlineCompletion";
import { ContextExclude } from "./context/contextExclude";
import { WorkspaceSearch } from "./context/workspaceSearch";
import { DisposableStore } from "./disposables";
import { registerEditFeatures } from "./edit/registerEditFeatures";
import { registerModelCommands } from "./models/modelCommands";
import { recordingLog } from "./remote/recordingLog";
import { createModelRuntime } from "./runtime/vscodeModelRuntime";
import { registerStatusBar } from "./statusBar";
import { SummarizeCommands } from "./summarize/summarizeCommands";
import { registerWalkthrough } from "./walkthrough/registerWalkthrough";

let store: DisposableStore | undefined;
let runtime: ModelRuntime | undefined;

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
  /** How many lines the log has had so far: a mark for `logLinesSince` (lines after it, while kept). */
  logWritten(): number;
  logLinesSince(mark: number): readonly string[];
  models: ModelManager;
  chat: ChatViewProvider;
  /** Inline completion's extra context from other files (opened, edited, copied from). */
  extraContext: ExtraContextRing;
  /** Definitions of what is used at the cursor, looked up while the user pauses. */
  definitions: DefinitionLookup;
  /** The chunks from other files in the last completion prompt (ring, then definitions). */
  lastCompletionContext(): readonly ContextChunk[] | null;
  /** The validated settings as the extension sees them now. */
  settings(): SettingsResult;
  /** The chat's `@workspace` search (what the picker runs). */
  searchWorkspace: WorkspaceSearch["run"];
}

export async function activate(context: vscode.ExtensionContext): Promise<ExtensionApi> {
  // zod's JIT probes `navigator`, which code-server's extension host reports as an error.
  z.config({ jitless: true });
  const disposables = (store = new DisposableStore());
  const {
    log,
    lines: logLines,
    written: logWritten,
    since: logLinesSince,
  } = recordingLog(disposables.add(vscode.window.createOutputChannel("Local Code Assistant", { log: true })));
  const backends = disposables.add(await createModelRuntime(context, log));
  const models = (runtime = backends.runtime);
  const settings = () => models.settings.settings;
  disposables.add(
    registerModelCommands(
      context,
      backends.planner,
      models.models,
      log,
      settings,
      () => models.settings.invalidKeys,
      () => completion.promptBudget(),
    ),
  );

  const exclude = new ContextExclude(() => settings().context.exclude);
  const { provider: completion, ring, definitions } = registerInlineCompletion(models, exclude, log, disposables);

  const search = new WorkspaceSearch({
    isExcluded: exclude.isExcluded,
    isExcludedPath: exclude.isExcludedPath,
    excludeGlobs: () => settings().context.exclude,
    budgetTokens: () => settings().context.searchTokens,
    log,
  });
  const chat = disposables.add(
    new ChatViewProvider(context.extensionUri, models.engine, context.workspaceState, log, {
      getSettings: () => settings().chat,
      ensureModel: (signal) => models.engineFor("chat", signal),
      isExcluded: exclude.isExcluded,
      runsOn: () => backends.remote()?.server ?? null,
      searchWorkspace: search.run,
    }),
  );
  disposables.add(chat.register());
  const summarize = disposables.add(new SummarizeCommands(models.engine, chat, log, () => models.ensureLoaded("chat")));
  disposables.add(summarize.register());
  disposables.add(
    registerEditFeatures({
      engine: models.engine,
      ensureModel: (signal) => models.ensureLoaded("chat", signal),
      log,
      state: context.globalState,
    }),
  );
  disposables.add(registerWalkthrough(context));

  const statusBar = disposables.add(registerStatusBar(models, completion));
  disposables.add(registerCommands(models, completion, log));
  models.start();

  return {
    engine: models.engine,
    models: models.models,
    chat,
    extraContext: ring,
    definitions,
    lastCompletionContext: () => completion.lastPromptContext,
    searchWorkspace: search.run,
    settings: () => models.settings,
    worker: backends.worker,
    remote: backends.remote,
    statusText: () => statusBar.current(),
    logLines: () => logLines,
    logWritten,
    logLinesSince,
  };
}

export async function deactivate(): Promise<void> {
  store?.dispose();
  store = undefined;
  await runtime?.stop();
  runtime = undefined;
}
