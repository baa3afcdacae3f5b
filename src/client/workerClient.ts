/**
 * The Engine backed by a forked worker process. It validates every reply, streams chunks, turns
 * AbortSignals into cancel messages, and restarts the worker (with backoff, reloading its models)
 * when it dies. No `vscode` import: the extension and the CLI both use it.
 */
import { fork, type ChildProcess } from "node:child_process";
import {
  ResultSchemas,
  WorkerMessageSchema,
  type ResultFor,
  type WorkerRequestInput,
} from "../core/protocol/workerProtocol";
import type {
  EngineStatus,
  GenerateRequestInput,
  GenerationResult,
  GpuSetting,
  HardwareInfo,
  LoadOptionsInput,
  ModelInfo,
  Slot,
} from "../core/engine/types";
import {
  EngineError,
  type Disposable,
  type Engine,
  type EngineState,
  type GenerateCallOptions,
} from "../core/engine/engine";
import { DEFAULT_RESTART_POLICY, RestartPolicy, type RestartPolicyOptions } from "../core/engine/restartPolicy";
import { redactSecrets } from "../core/security/redact";
import type { LogLevel, Logger } from "../core/util/logger";
import { Emitter } from "../core/util/emitter";

export interface WorkerClientOptions {
  /** Absolute path of dist/worker.js. */
  workerPath: string;
  gpu?: GpuSetting;
  /** 0 = physical cores. */
  threads?: number;
  logLevel?: LogLevel;
  log?: Logger;
  restart?: Partial<RestartPolicyOptions>;
  /** Extra fork options (tests run the worker as another user to check permission errors). */
  forkOptions?: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv };
  watchdog?: Partial<WatchdogOptions>;
}

/** How a stopped or hung worker and overlong requests are detected (tests use short ones). */
export interface WatchdogOptions {
  /** How often the worker sends a heartbeat. */
  heartbeatMs: number;
  /** No heartbeat for this long: the worker is stopped or hung, and is killed and restarted. */
  heartbeatTimeoutMs: number;
  /** A model load that takes longer is cancelled. */
  loadTimeoutMs: number;
  /** Any other request that takes longer is cancelled. */
  requestTimeoutMs: number;
}

export const DEFAULT_WATCHDOG: WatchdogOptions = {
  heartbeatMs: 1000,
  heartbeatTimeoutMs: 20_000,
  loadTimeoutMs: 600_000,
  requestTimeoutMs: 600_000,
};

type RequestType = keyof typeof ResultSchemas;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Pending {
  type: RequestType;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onChunk?: (text: string) => void;
}

/** A worker that exits within this long of its start is reported as failing to start. */
const READY_TIMEOUT_MS = 30_000;
/** Loading node-llama-cpp's native library (init). */
const INIT_TIMEOUT_MS = 120_000;

export class WorkerClient implements Engine {
  private child: ChildProcess | null = null;
  private startedAt = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly models = new Map<Slot, ModelInfo>();
  /** What the user asked to have loaded; reloaded after a restart. */
  private readonly desired = new Map<Slot, LoadOptionsInput>();
  private readonly stateChanged = new Emitter<EngineState>();
  private readonly policy: RestartPolicy;
  private ready: Promise<void> | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private currentState: EngineState = { kind: "stopped" };
  private readonly watchdog: WatchdogOptions;
  private lastHeartbeat = 0;
  private watchdogTimer: NodeJS.Timeout | null = null;
  /** Why the watchdog killed the current worker (its exit is then reported as this). */
  private killedBecause: string | null = null;

  constructor(private readonly options: WorkerClientOptions) {
    this.policy = new RestartPolicy({ ...DEFAULT_RESTART_POLICY, ...options.restart });
    this.watchdog = { ...DEFAULT_WATCHDOG, ...options.watchdog };
  }

  get state(): EngineState {
    return this.currentState;
  }

  /** The worker's process id (null while none runs). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  onDidChangeState(listener: (state: EngineState) => void): Disposable {
    return this.stateChanged.on(listener);
  }

  private setState(state: EngineState): void {
    this.currentState = state;
    this.stateChanged.fire(state);
  }

  private log(level: LogLevel, message: string): void {
    // Worker and llama log lines can quote paths with credentials or tokens: never log a secret.
    this.options.log?.[level](redactSecrets(message));
  }

  /** Starts the worker (once); every request waits for this. */
  start(): Promise<void> {
    if (this.stopped) return Promise.reject(new EngineError("workerCrashed", "The model worker was shut down."));
    if (this.currentState.kind === "failed")
      return Promise.reject(new EngineError("workerCrashed", this.currentState.reason));
    this.ready ??= this.spawn().catch((error: Error) => {
      // The worker started but could not initialise the engine: a restart would fail the same way.
      this.ready = null;
      const child = this.child;
      if (child) {
        this.child = null;
        child.kill("SIGKILL");
        this.setState({ kind: "failed", reason: error.message });
      }
      throw error;
    });
    return this.ready;
  }

  private async spawn(): Promise<void> {
    this.setState({ kind: "starting" });
    const child = fork(this.options.workerPath, [], {
      serialization: "advanced",
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      execArgv: [],
      // Inside VS Code desktop, process.execPath is Electron: make it behave as plain Node.
      env: {
        ...process.env,
        ...this.options.forkOptions?.env,
        ELECTRON_RUN_AS_NODE: "1",
        LCA_WORKER_HEARTBEAT_MS: String(this.watchdog.heartbeatMs),
      },
      uid: this.options.forkOptions?.uid,
      gid: this.options.forkOptions?.gid,
    });
    this.child = child;
    this.startedAt = Date.now();
    child.stdout?.on("data", (data: Buffer) => this.log("debug", `[worker] ${data.toString().trimEnd()}`));
    child.stderr?.on("data", (data: Buffer) => this.log("warn", `[worker] ${data.toString().trimEnd()}`));

    const readyMessage = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new EngineError("workerCrashed", "The model worker did not start within 30 s.")),
        READY_TIMEOUT_MS,
      );
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(
          new EngineError("workerCrashed", `The model worker exited while starting (${describeExit(code, signal)}).`),
        );
      });
      child.on("message", (raw: unknown) => {
        const parsed = WorkerMessageSchema.safeParse(raw);
        if (!parsed.success) {
          this.log("error", `Ignored an invalid message from the worker: ${parsed.error.message}`);
          return;
        }
        const message = parsed.data;
        if (message.type === "ready") {
          clearTimeout(timer);
          resolve();
        } else this.onMessage(message);
      });
    });
    child.on("exit", (code, signal) => this.onExit(child, code, signal));
    child.on("error", (error) => this.log("error", `Worker process error: ${error.message}`));

    await readyMessage;
    const init = await this.call("init", {
      type: "init",
      gpu: this.options.gpu ?? "auto",
      threads: this.options.threads ?? 0,
      logLevel: this.options.logLevel ?? "warn",
    });
    this.log("info", `Model worker ${child.pid} ready (backend ${init.gpu}, ${init.threads} threads).`);
    // From here on (not before: loading the native library can hold the event loop) a silent worker is a hung one.
    this.startWatchdog(child);
    for (const [slot, options] of this.desired)
      await this.loadNow(slot, options).catch((error: Error) =>
        this.log("error", `Could not reload the ${slot} model: ${error.message}`),
      );
    this.setState({ kind: "ready" });
  }

  /** Kills a worker that stops sending heartbeats (SIGSTOP, a stuck event loop); onExit restarts it. */
  private startWatchdog(child: ChildProcess): void {
    this.lastHeartbeat = Date.now();
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.watchdogTimer = setInterval(
      () => {
        if (this.child !== child) return;
        const silentMs = Date.now() - this.lastHeartbeat;
        if (silentMs <= this.watchdog.heartbeatTimeoutMs || this.killedBecause) return;
        this.killedBecause = `it stopped responding: no heartbeat for ${Math.round(silentMs / 1000)} s`;
        this.log("error", `The model worker ${child.pid} ${this.killedBecause}; stopping it.`);
        child.kill("SIGKILL");
      },
      Math.max(50, Math.min(this.watchdog.heartbeatMs, this.watchdog.heartbeatTimeoutMs / 4)),
    );
    this.watchdogTimer.unref?.();
  }

  private onMessage(message: Exclude<ReturnType<typeof WorkerMessageSchema.parse>, { type: "ready" }>): void {
    if (message.type === "heartbeat") {
      this.lastHeartbeat = Date.now();
      return;
    }
    if (message.type === "log") {
      this.log(message.level, message.message);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return; // Already settled here (cancelled by the caller).
    if (message.type === "chunk") {
      pending.onChunk?.(message.text);
      return;
    }
    this.pending.delete(message.id);
    if (message.type === "error") {
      pending.reject(new EngineError(message.code, message.message));
      return;
    }
    const checked = ResultSchemas[pending.type].safeParse(message.result);
    if (checked.success) pending.resolve(checked.data);
    else
      pending.reject(
        new EngineError("internal", `Invalid ${pending.type} reply from the worker: ${checked.error.message}`),
      );
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = null;
    this.ready = null;
    this.models.clear();
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.watchdogTimer = null;
    const how = this.killedBecause ?? describeExit(code, signal);
    this.killedBecause = null;
    const failure = new EngineError(
      "workerCrashed",
      `The model worker stopped unexpectedly (${how}). It is being restarted; try again in a moment.`,
    );
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(failure);
    }
    if (this.stopped) {
      this.setState({ kind: "stopped" });
      return;
    }
    const delay = this.policy.onCrash(Date.now() - this.startedAt);
    if (delay === null) {
      const reason = `The model worker crashed ${this.policy.crashes} times in a row (last: ${how}); not restarting. Check the model and settings, then run "Local Code: Restart Model Worker".`;
      this.log("error", reason);
      this.setState({ kind: "failed", reason });
      return;
    }
    this.log("warn", `Model worker exited (${how}); restarting in ${delay} ms.`);
    this.setState({ kind: "crashed", reason: how, restartInMs: delay, restarts: this.policy.crashes });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.start().catch((error: Error) => this.log("error", `Restart failed: ${error.message}`));
    }, delay);
  }

  /** Stops the current worker and starts a fresh one now (user command), clearing the crash history. */
  async restart(): Promise<void> {
    this.policy.reset();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (child) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      this.child = null;
      this.ready = null;
      child.kill("SIGKILL");
      await exited;
      for (const [id, pending] of this.pending) {
        this.pending.delete(id);
        pending.reject(new EngineError("workerCrashed", "The model worker was restarted."));
      }
    }
    if (this.currentState.kind === "failed") this.currentState = { kind: "stopped" };
    this.models.clear();
    await this.start();
  }

  /** Sends a request to a running worker and waits for its validated reply. */
  private call<T extends RequestType>(
    type: T,
    request: DistributiveOmit<WorkerRequestInput & { type: T }, "id">,
    onChunk?: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<ResultFor<T>> {
    const child = this.child;
    if (!child?.connected) return Promise.reject(new EngineError("workerCrashed", "The model worker is not running."));
    const id = this.nextId++;
    return new Promise<ResultFor<T>>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new EngineError("cancelled", "The request was cancelled."));
        return;
      }
      const onAbort = () => {
        clearTimeout(deadline);
        if (!this.pending.delete(id)) return;
        reject(new EngineError("cancelled", "The request was cancelled."));
        if (child.connected) child.send({ type: "cancel", id: this.nextId++, target: id });
      };
      let deadline: NodeJS.Timeout | undefined;
      signal?.addEventListener("abort", onAbort, { once: true });
      // A request that outlives its deadline is given up here and cancelled in the worker.
      // init loads the native library: a fixed, generous deadline of its own.
      const deadlineMs =
        type === "init"
          ? INIT_TIMEOUT_MS
          : type === "load"
            ? this.watchdog.loadTimeoutMs
            : this.watchdog.requestTimeoutMs;
      deadline = setTimeout(() => {
        if (!this.pending.delete(id)) return;
        signal?.removeEventListener("abort", onAbort);
        const what = type === "load" ? "Loading the model" : `The ${type} request`;
        reject(
          new EngineError(
            "workerTimeout",
            `${what} did not finish within ${formatSeconds(deadlineMs)}; it was cancelled.`,
          ),
        );
        if (child.connected) child.send({ type: "cancel", id: this.nextId++, target: id });
      }, deadlineMs);
      this.pending.set(id, {
        type,
        onChunk,
        resolve: (value) => {
          clearTimeout(deadline);
          signal?.removeEventListener("abort", onAbort);
          resolve(value as ResultFor<T>);
        },
        reject: (error) => {
          clearTimeout(deadline);
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      });
      child.send({ ...request, id });
    });
  }

  private async loadNow(slot: Slot, options: LoadOptionsInput, signal?: AbortSignal): Promise<ModelInfo> {
    this.setState({ kind: "loading", slot, modelPath: options.modelPath });
    try {
      const info = await this.call("load", { type: "load", slot, options }, undefined, signal);
      this.models.set(slot, info);
      return info;
    } catch (error) {
      // A model that cannot load is not reloaded after the next restart.
      if (this.desired.get(slot) === options) this.desired.delete(slot);
      throw error;
    }
  }

  async load(slot: Slot, options: LoadOptionsInput, signal?: AbortSignal): Promise<ModelInfo> {
    await this.start();
    this.desired.set(slot, options);
    try {
      return await this.loadNow(slot, options, signal);
    } finally {
      if (this.child) this.setState({ kind: "ready" });
    }
  }

  async unload(slot: Slot): Promise<void> {
    this.desired.delete(slot);
    this.models.delete(slot);
    if (!this.child) return;
    await this.call("unload", { type: "unload", slot });
  }

  modelInfo(slot: Slot): ModelInfo | null {
    return this.models.get(slot) ?? null;
  }

  async generate(slot: Slot, body: GenerateRequestInput, options: GenerateCallOptions = {}): Promise<GenerationResult> {
    if (options.signal?.aborted) throw new EngineError("cancelled", "The request was cancelled.");
    await this.start();
    return this.call(
      "generate",
      { type: "generate", slot, supersede: options.supersede ?? false, body },
      options.onChunk,
      options.signal,
    );
  }

  async countTokens(slot: Slot, text: string, signal?: AbortSignal): Promise<number> {
    await this.start();
    return (await this.call("tokenize", { type: "tokenize", slot, text }, undefined, signal)).count;
  }

  async tokenize(slot: Slot, text: string): Promise<number[]> {
    await this.start();
    return (await this.call("tokenize", { type: "tokenize", slot, text })).tokens;
  }

  async status(): Promise<EngineStatus> {
    await this.start();
    const { backend, threads, memory, ...common } = await this.call("status", { type: "status" });
    return { ...common, backend: { kind: "local", gpu: backend, threads, memory } };
  }

  readonly recoveryLabel = "Restart Model Worker";

  async recover(): Promise<string> {
    await this.restart();
    return "model worker restarted";
  }

  async hardware(): Promise<HardwareInfo> {
    await this.start();
    return this.call("hardware", { type: "hardware" });
  }

  /** Number of requests waiting for a reply (tests use it to prove nothing piles up). */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Ends the worker; pending requests fail. Resolves when the process is gone. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    const child = this.child;
    if (!child) {
      this.setState({ kind: "stopped" });
      return;
    }
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.disconnect();
    const killTimer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(killTimer);
  }
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `signal ${signal}`;
  return `exit code ${code}`;
}
