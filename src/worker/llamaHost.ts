/**
 * Owns node-llama-cpp inside the worker process: the Llama instance, the loaded models (one per
 * slot, shared when two slots ask for the same file) and their generation lanes.
 */
import type { Llama, LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import type {
  GpuSetting,
  HardwareInfo,
  LoadOptions,
  ModelInfo,
  Slot,
  WorkerStatus,
} from "../core/protocol/workerProtocol";
import { resolveThreadCount } from "../core/hardware/cpuCores";
import { WorkerFailure } from "./failure";
import { checkModelFile } from "./modelFile";
import { cpuDescription, physicalCores } from "./hardware";
import { LoadedModel } from "./loadedModel";
import { LaneCounters } from "../core/engine/laneCounters";
import * as os from "node:os";
import type { Logger } from "../core/util/logger";

type NodeLlamaCpp = typeof import("node-llama-cpp", { with: { "resolution-mode": "import" } });

const DEFAULT_CONTEXT_SIZE = 4096;

export class LlamaHost {
  private lib: NodeLlamaCpp | undefined;
  private llama: Llama | undefined;
  private requestedGpu: GpuSetting = "auto";
  private fallbackReason: string | null = null;
  private threads = 1;
  private readonly slots = new Map<Slot, LoadedModel>();
  /** Slots being (re)loaded: settles when the load does. */
  private readonly reloading = new Map<Slot, Promise<void>>();
  /** Shared by every model: a reload keeps the counts since the worker started. */
  private readonly laneCounters = { completion: new LaneCounters(), chat: new LaneCounters() };
  lastStats: WorkerStatus["last"] = null;
  /** llama.cpp's recent error lines: a failed load says why only there ("unknown model architecture"). */
  private recentLlamaErrors: string[] = [];

  constructor(private readonly log: Logger) {}

  async init(
    gpu: GpuSetting,
    threadSetting: number,
    logLevel: "error" | "warn" | "info" | "debug",
  ): Promise<{ gpu: HardwareInfo["gpu"]; threads: number }> {
    if (this.llama) return { gpu: this.backend(), threads: this.threads };
    this.lib = await import("node-llama-cpp");
    this.threads = resolveThreadCount(threadSetting, physicalCores(), os.availableParallelism());
    this.requestedGpu = gpu;
    const logger = (level: string, message: string) => {
      const mapped =
        level === "fatal" || level === "error"
          ? "error"
          : level === "warn"
            ? "warn"
            : level === "info"
              ? "info"
              : "debug";
      if (mapped === "error") this.recentLlamaErrors = [...this.recentLlamaErrors.slice(-19), message.trim()];
      this.log[mapped](`[llama] ${message}`);
    };
    const common = {
      maxThreads: this.threads,
      logLevel: this.lib.LlamaLogLevel[logLevel],
      logger,
      build: "never" as const,
      usePrebuiltBinaries: true,
    };
    const gpuOption = gpu === "cpu" ? false : gpu;
    try {
      this.llama = await this.lib.getLlama({ ...common, gpu: gpuOption });
    } catch (error) {
      if (gpu === "auto" || gpu === "cpu") throw error;
      // A forced backend that cannot load: fall back to the CPU, and say so rather than hide it.
      this.fallbackReason = `The ${gpu} backend could not be loaded (${(error as Error).message}); running on the CPU.`;
      this.log.warn(this.fallbackReason);
      this.llama = await this.lib.getLlama({ ...common, gpu: false });
    }
    return { gpu: this.backend(), threads: this.threads };
  }

  private backend(): HardwareInfo["gpu"] {
    const gpu = this.llama?.gpu;
    return gpu === "cuda" || gpu === "vulkan" || gpu === "metal" ? gpu : "none";
  }

  private requireLlama(): Llama {
    if (!this.llama) throw new WorkerFailure("badRequest", "The worker was not initialised (send init first).");
    return this.llama;
  }

  async hardware(): Promise<HardwareInfo> {
    const llama = this.requireLlama();
    const [vram, ram, swap, names] = await Promise.all([
      llama.getVramState(),
      llama.getRamState(),
      llama.getSwapState(),
      llama.getGpuDeviceNames(),
    ]);
    return {
      gpu: this.backend(),
      requestedGpu: this.requestedGpu,
      fallbackReason: this.fallbackReason,
      gpuDeviceNames: names,
      vram: { total: vram.total, used: vram.used, free: vram.free, unifiedSize: vram.unifiedSize },
      ram: { total: ram.total, free: ram.free },
      swap: { total: swap.maxSize, free: Math.max(0, swap.maxSize - swap.used) },
      cpu: cpuDescription(),
      platform: process.platform,
      arch: process.arch,
    };
  }

  async load(slot: Slot, options: LoadOptions, signal: AbortSignal): Promise<ModelInfo> {
    // Marked synchronously, before the first await: a generate for this slot that arrives now waits.
    const loading = this.loadSlot(slot, options, signal);
    const marker = loading.then(
      () => undefined,
      () => undefined,
    );
    this.reloading.set(slot, marker);
    try {
      return await loading;
    } finally {
      if (this.reloading.get(slot) === marker) this.reloading.delete(slot);
    }
  }

  /** The slot's model once any reload of it has finished. */
  async modelWhenLoaded(slot: Slot): Promise<LoadedModel> {
    for (let pending = this.reloading.get(slot); pending; pending = this.reloading.get(slot)) await pending;
    return this.model(slot);
  }

  private async loadSlot(slot: Slot, options: LoadOptions, signal: AbortSignal): Promise<ModelInfo> {
    const llama = this.requireLlama();
    const lib = this.lib!;
    const started = performance.now();
    // Our own bounded header reader, never node-llama-cpp's: a hostile header must not hang or
    // crash the worker, and every refusal names the file.
    const { sizeBytes } = await checkModelFile(options.modelPath);

    // Reuse a model another slot already loaded with the same options.
    const key = LoadedModel.key(options);
    const existing = [...this.slots.entries()].find(([s, m]) => s !== slot && m.key === key)?.[1];
    await this.unload(slot);
    if (existing) {
      existing.refs++;
      this.slots.set(slot, existing);
      return existing.info(slot, 0);
    }

    let model: LlamaModel;
    this.recentLlamaErrors = [];
    try {
      model = await llama.loadModel({
        modelPath: options.modelPath,
        gpuLayers: options.gpuLayers,
        loadSignal: signal,
      });
    } catch (error) {
      if (signal.aborted) throw new WorkerFailure("cancelled", "Model loading was cancelled.");
      // Log lines come through a thread-safe callback; one turn lets any still queued arrive.
      await new Promise((resolve) => setImmediate(resolve));
      const why = loadFailureReason(this.recentLlamaErrors);
      throw new WorkerFailure(
        "modelLoadFailed",
        `Could not load ${options.modelPath}: ${(error as Error).message}${why ? ` (${why})` : ""}`,
      );
    }
    try {
      const trainContext = model.trainContextSize;
      const contextSize = Math.min(
        options.contextSize ?? DEFAULT_CONTEXT_SIZE,
        trainContext > 0 ? trainContext : Number.MAX_SAFE_INTEGER,
      );
      // Two sequences: one for completion-style prompts, one for chat, so neither evicts the
      // other's KV cache (node-llama-cpp only reuses a sequence's unchanged prefix).
      const context = await model.createContext({
        contextSize,
        sequences: 2,
        batchSize: options.batchSize,
        threads: this.threads,
      });
      const loaded = new LoadedModel(
        lib,
        model,
        context,
        options,
        key,
        sizeBytes,
        this.log,
        performance.now() - started,
        this.laneCounters,
      );
      this.slots.set(slot, loaded);
      return loaded.info(slot, loaded.loadMs);
    } catch (error) {
      await model.dispose();
      throw new WorkerFailure(
        "modelLoadFailed",
        `Could not create a context for ${options.modelPath}: ${(error as Error).message}`,
      );
    }
  }

  async unload(slot: Slot): Promise<boolean> {
    const loaded = this.slots.get(slot);
    if (!loaded) return false;
    this.slots.delete(slot);
    loaded.refs--;
    if (loaded.refs <= 0) await loaded.dispose();
    return true;
  }

  model(slot: Slot): LoadedModel {
    const loaded = this.slots.get(slot);
    if (!loaded)
      throw new WorkerFailure(
        "noModelLoaded",
        `No ${slot} model is loaded. Set localCode.${slot}.model or run "Local Code: Select Model".`,
      );
    return loaded;
  }

  /** Aborts a queued or running generation by request id. */
  cancel(id: number): boolean {
    return [...new Set(this.slots.values())].some((m) => m.cancel(id));
  }

  status(): WorkerStatus {
    const models = [...this.slots.entries()].map(([slot, m]) => m.info(slot, m.loadMs));
    const vramUsed = [...new Set(this.slots.values())].reduce((sum, m) => sum + m.vramBytes(), 0);
    return {
      backend: this.llama ? this.backend() : null,
      threads: this.llama ? this.threads : null,
      models,
      memory: { rssBytes: process.memoryUsage().rss, vramUsedBytes: vramUsed },
      last: this.lastStats,
      busy: [...this.slots.values()].some((m) => m.busy()),
      lanes: { completion: this.laneCounters.completion.snapshot(), chat: this.laneCounters.chat.snapshot() },
    };
  }

  async dispose(): Promise<void> {
    for (const slot of [...this.slots.keys()]) await this.unload(slot);
    await this.llama?.dispose();
  }
}

/**
 * The most specific reason in llama.cpp's error lines for a failed load, e.g. "unknown model
 * architecture: 'foo'" out of "llama_model_load: error loading model: error loading model
 * architecture: unknown model architecture: 'foo'".
 */
export function loadFailureReason(lines: readonly string[]): string | null {
  const recent = [...lines].reverse();
  // "error loading model: <why>" is the specific line; "failed to load model" follows it and says nothing.
  const line =
    recent.find((l) => /error loading model/i.test(l)) ??
    recent.find((l) => /unknown|missing|wrong|invalid|unsupported/i.test(l));
  if (!line) return null;
  const parts = line.split(/:\s+/).filter((p) => p.length > 0);
  // The last "x: y" pair without the function-name prefixes.
  const tail = parts.slice(-2).join(": ");
  return tail.length > 300 ? `${tail.slice(0, 300)}...` : tail;
}
