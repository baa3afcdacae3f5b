/**
 * Keeps the engine's loaded models in line with the settings: loads the configured model for a
 * slot on demand, reloads when the setting changes, and reports problems once, with the fix.
 * With localCode.backend = remote a slot's model is the server's model name
 * (localCode.remote.completionModel / chatModel, "" = its only model): no catalog, no download.
 */
import { backendPlan, isModelPath, type Settings } from "../config/settings";
import { isCancellation, type Disposable, type Engine } from "../engine/engine";
import type { ModelInfo, Slot } from "../engine/types";
import { Emitter } from "../util/emitter";
import { SharedLoad } from "./sharedLoad";

export interface ModelResolution {
  /** A file (local) or the server's model name (remote; "" = its only model); null when none can be used. */
  modelPath: string | null;
  /** Why no model can be used (shown in the status bar / chat), null when modelPath is set. */
  problem: string | null;
}

/** Resolves a model setting to a file. Catalog ids and "auto" are resolved by the resolver hook. */
export type CatalogResolver = (slot: Slot, setting: string, settings: Settings) => Promise<ModelResolution>;

export class ModelManager implements Disposable {
  /** A slot's load in progress, shared by everyone who needs that slot's model. */
  private readonly loading = new Map<Slot, SharedLoad<ModelInfo>>();
  /** What was asked for (the resolved setting) per slot, once loaded. */
  private readonly loadedFor = new Map<Slot, string>();
  private readonly names = new Map<Slot, string>();
  /** Bumped on a backend change: a load started before it must not record its outcome after it. */
  private generation = 0;
  private readonly problems = new Map<Slot, string>();
  private readonly changed = new Emitter<void>();
  readonly onDidChange = this.changed.on;

  constructor(
    private readonly engine: Engine,
    private settings: () => { settings: Settings; invalidKeys: string[] },
    private readonly resolveCatalog: CatalogResolver,
  ) {}

  problem(slot: Slot): string | null {
    return this.problems.get(slot) ?? null;
  }

  modelName(slot: Slot): string | null {
    const name = this.loadedFor.has(slot) ? this.names.get(slot) : undefined;
    return name ? (name.split(/[\\/]/).pop() ?? name) : null;
  }

  private setProblem(slot: Slot, problem: string | null): void {
    if (problem === null) this.problems.delete(slot);
    else this.problems.set(slot, problem);
    this.changed.fire();
  }

  async resolve(slot: Slot): Promise<ModelResolution> {
    const { settings, invalidKeys } = this.settings();
    const plan = backendPlan({ settings, invalidKeys });
    if (plan.kind === "misconfigured") return { modelPath: null, problem: plan.problem };
    if (plan.kind === "remote")
      return { modelPath: slot === "completion" ? plan.remote.completionModel : plan.remote.chatModel, problem: null };
    if (invalidKeys.includes(`${slot}.model`))
      return { modelPath: null, problem: `The setting localCode.${slot}.model is invalid; fix it in Settings.` };
    const setting = settings[slot].model;
    if (isModelPath(setting)) return { modelPath: setting, problem: null };
    // Catalog files live in the models folder: never look for them in another one than the user set.
    if (invalidKeys.includes("modelsFolder"))
      return { modelPath: null, problem: "The setting localCode.modelsFolder is invalid; fix it in Settings." };
    return this.resolveCatalog(slot, setting, settings);
  }

  /**
   * The loaded model for a slot, loading it first when needed. Rejects with a readable message.
   * Callers of the same load share it; `signal` cancels this caller's wait, and the load itself
   * only when no caller is left (see SharedLoad).
   */
  async ensureLoaded(slot: Slot, signal?: AbortSignal): Promise<ModelInfo> {
    const current = this.engine.modelInfo(slot);
    const resolution = await this.resolve(slot);
    if (resolution.modelPath === null) {
      this.setProblem(slot, resolution.problem);
      throw new Error(resolution.problem ?? `No ${slot} model is configured.`);
    }
    const contextSize = this.settings().settings[slot].contextSize;
    const requested = resolution.modelPath;
    // Remote: the server names the model it picked for "" (its only model), so compare what was asked.
    const remote = this.settings().settings.backend === "remote";
    if (current && this.loadedFor.get(slot) === requested && (remote || current.modelPath === requested))
      return current;
    const pending = this.loading.get(slot);
    if (pending) return pending.join(signal);
    const generation = this.generation;
    const load: SharedLoad<ModelInfo> = new SharedLoad((shared) =>
      this.engine
        .load(slot, { modelPath: requested, contextSize, gpuLayers: "auto" }, shared)
        .then((info) => {
          if (generation !== this.generation) return info;
          this.loadedFor.set(slot, requested);
          this.names.set(slot, info.modelPath);
          this.setProblem(slot, null);
          return info;
        })
        .catch((error: Error) => {
          if (generation !== this.generation || isCancellation(error)) throw error;
          this.loadedFor.delete(slot);
          this.setProblem(slot, error.message);
          throw error;
        })
        .finally(() => {
          if (this.loading.get(slot) === load) this.loading.delete(slot);
        }),
    );
    this.loading.set(slot, load);
    return load.join(signal);
  }

  /** Settings changed: forget what was loaded so the next use loads the new model. */
  async reload(slot: Slot): Promise<void> {
    this.loadedFor.delete(slot);
    this.problems.delete(slot);
    await this.engine.unload(slot).catch(() => undefined);
    this.changed.fire();
  }

  /** The backend changed (local <-> remote, another server or key): nothing is loaded on the new engine yet. */
  backendChanged(): void {
    this.generation++;
    this.loading.clear();
    this.loadedFor.clear();
    this.problems.clear();
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}
