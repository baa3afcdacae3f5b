/**
 * The one owner of models and backends: the switching engine (local worker or a server), the
 * model manager, and how both follow settings, API key and worker crashes. Features get
 * `engineFor(slot)`: the engine with the slot's configured model loaded. Pure (no `vscode`): the
 * engines come from factories and the UI listens to its events (src/vscode/runtime).
 */
import { backendPlan, type BackendPlan, type SettingsResult } from "../config/settings";
import { isCancellation, type Disposable, type Engine, type EngineState } from "../engine/engine";
import type { StoppableEngine, SwitchingEngine } from "../engine/switchingEngine";
import type { ModelInfo, Slot } from "../engine/types";
import { EventMap } from "../util/emitter";
import { ModelManager, type CatalogResolver } from "./modelManager";
import type { Logger } from "../util/logger";

export type RemotePlan = Extract<BackendPlan, { kind: "remote" }>;

/** Builds the engines the runtime switches between. */
export interface Backends {
  local(settings: SettingsResult["settings"]): StoppableEngine;
  remote(plan: RemotePlan, apiKey: string | undefined): StoppableEngine;
}

export interface ModelRuntimeOptions {
  /** The engine features hold; the runtime switches it between backends and stops it (built outside so the model planner can share it). */
  engine: SwitchingEngine;
  settings: SettingsResult;
  apiKey: string | undefined;
  backends: Backends;
  resolveCatalog: CatalogResolver;
  log: Pick<Logger, "error" | "warn" | "info">;
}

const SLOTS = ["completion", "chat"] as const;

/** The runtime's events and what each carries. */
interface RuntimeEvents {
  problem: string;
  backend: void;
  model: Slot;
  settings: void;
  status: void;
  recovered: string;
  failed: string;
}

export class ModelRuntime implements Disposable {
  readonly engine: SwitchingEngine;
  readonly models: ModelManager;
  private current: SettingsResult;
  private apiKey: string | undefined;
  /** Bumped when the key changes, so the remote engine is rebuilt without the key in its id. */
  private keyVersion = 0;
  private currentPlan: BackendPlan;
  private reportedProblem: string | null = null;
  private crashReason: string | null = null;
  private readonly subscriptions: Disposable[] = [];

  private readonly events = new EventMap<RuntimeEvents>();
  /** A settings problem leaves no backend (reported once per problem): the UI offers to fix it. */
  readonly onProblem = this.events.on("problem");
  /** Another backend is active: nothing is loaded on it yet. */
  readonly onDidChangeBackend = this.events.on("backend");
  /** The model of a slot changed or was lost (settings change, worker crash). */
  readonly onDidChangeModel = this.events.on("model");
  readonly onDidChangeSettings = this.events.on("settings");
  /** Anything the status bar shows may have changed. */
  readonly onDidChangeStatus = this.events.on("status");
  /** The worker is back after a crash (with the crash's reason): worth a quiet note, not a popup. */
  readonly onDidRecover = this.events.on("recovered");
  /** The engine gave up (e.g. the worker crashed too often): the user must act. */
  readonly onDidFail = this.events.on("failed");

  constructor(private readonly options: ModelRuntimeOptions) {
    this.current = options.settings;
    this.apiKey = options.apiKey;
    this.currentPlan = backendPlan(this.current);
    this.engine = options.engine;
    this.models = new ModelManager(this.engine, () => this.current, options.resolveCatalog);
    this.subscriptions.push(
      this.engine.onDidChangeState((state) => this.stateChanged(state)),
      this.engine.onDidChangeFailure(() => this.events.fire("status")),
      this.models.onDidChange(() => this.events.fire("status")),
    );
  }

  /** Points the engine at the configured backend and loads the completion model in the background. Call once its events are wired. */
  start(): void {
    this.applyBackend();
    this.preload();
  }

  get settings(): SettingsResult {
    return this.current;
  }

  get plan(): BackendPlan {
    return this.currentPlan;
  }

  /** Loads the completion model in the background (start-up), so the first suggestion does not wait for it. */
  preload(): void {
    void this.models
      .ensureLoaded("completion")
      .catch(
        (error: Error) =>
          isCancellation(error) || this.options.log.warn(`Completion model not loaded: ${error.message}`),
      );
  }

  /** The one place a feature makes sure its slot's model is loaded; `signal` cancels this caller's wait only. */
  ensureLoaded(slot: Slot, signal?: AbortSignal): Promise<ModelInfo> {
    return this.models.ensureLoaded(slot, signal);
  }

  /** The engine with `slot`'s configured model loaded. */
  async engineFor(slot: Slot, signal?: AbortSignal): Promise<Engine> {
    await this.ensureLoaded(slot, signal);
    return this.engine;
  }

  /** The user's Restart / Check action on the active backend; resolves to what to tell them. */
  recover(): Promise<string> {
    return this.engine.recover();
  }

  /**
   * Settings changed. `affects(section)` says whether a localCode section (e.g.
   * "localCode.backend") changed, as VS Code's configuration event does.
   */
  async settingsChanged(next: SettingsResult, affects: (section: string) => boolean): Promise<void> {
    const previous = this.current.settings;
    this.current = next;
    if (affects("localCode.backend") || affects("localCode.remote")) {
      this.events.fire("settings");
      this.switchBackend();
      return;
    }
    if (affects("localCode.gpu") || affects("localCode.threads"))
      this.options.log.info("GPU/threads settings change after a worker restart (Local Code: Restart Model Worker).");
    this.events.fire("settings");
    for (const slot of SLOTS)
      if (
        previous[slot].model !== next.settings[slot].model ||
        previous[slot].contextSize !== next.settings[slot].contextSize
      ) {
        this.events.fire("model", slot);
        await this.models.reload(slot);
      }
    if (next.settings.completion.model !== previous.completion.model) this.preload();
    this.events.fire("status");
  }

  /** The remote API key was set or cleared. */
  apiKeyChanged(apiKey: string | undefined): void {
    this.apiKey = apiKey;
    this.keyVersion++;
    this.options.log.info(apiKey ? "The remote API key was set." : "The remote API key was cleared.");
    if (this.currentPlan.kind === "remote") this.switchBackend();
  }

  private switchBackend(): void {
    if (!this.applyBackend()) return;
    this.events.fire("backend");
    this.models.backendChanged();
    this.events.fire("status");
    if (this.currentPlan.kind !== "misconfigured") this.preload();
  }

  /** Points the engine at the configured backend; true when it changed (nothing is loaded on the new one). */
  private applyBackend(): boolean {
    const plan = (this.currentPlan = backendPlan(this.current));
    if (plan.kind === "misconfigured") {
      this.engine.useNone(plan.problem);
      if (this.reportedProblem !== plan.problem) {
        this.reportedProblem = plan.problem;
        this.options.log.error(plan.problem);
        this.events.fire("problem", plan.problem);
      }
      return true;
    }
    this.reportedProblem = null;
    if (plan.kind === "local")
      return this.engine.use("local", () => this.options.backends.local(this.current.settings));
    const apiKey = this.apiKey || undefined;
    const changed = this.engine.use(`remote ${JSON.stringify(plan)} key#${this.keyVersion}`, () =>
      this.options.backends.remote(plan, apiKey),
    );
    if (changed)
      this.options.log.info(
        `Backend: remote server ${plan.url}${apiKey ? " (with an API key)" : ""}; the local model worker is not running.`,
      );
    return changed;
  }

  private stateChanged(state: EngineState): void {
    this.events.fire("status");
    if (state.kind === "crashed") {
      this.events.fire("model", "completion");
      this.crashReason = state.reason;
      this.options.log.warn(`Model worker stopped (${state.reason}); restarting in ${state.restartInMs} ms.`);
    }
    if (state.kind === "ready" && this.crashReason) {
      this.options.log.info(`Model worker restarted after it stopped (${this.crashReason}).`);
      this.events.fire("recovered", this.crashReason);
      this.crashReason = null;
    }
    if (state.kind === "failed") this.events.fire("failed", state.reason);
  }

  /** Stops the active engine (extension shutdown). */
  async stop(): Promise<void> {
    this.dispose();
    await this.engine.stop();
  }

  dispose(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    this.models.dispose();
    this.events.dispose();
  }
}
