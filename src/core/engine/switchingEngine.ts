/**
 * The one Engine the features hold while the backend can change under them (localCode.backend:
 * the local worker or a server). It delegates to the active engine, forwards its state events,
 * and on a switch cancels what still runs on the old one and stops it (a stopped local worker
 * frees its RAM; switching back builds a fresh one). Pure: the engines come from factories.
 */
import { Emitter } from "../util/emitter";
import type { GenerateRequestInput, GenerationResult, LoadOptionsInput, ModelInfo, Slot } from "./types";
import {
  EngineError,
  isCancellation,
  type Disposable,
  type Engine,
  type EngineState,
  type GenerateCallOptions,
} from "./engine";

/** An engine that can be shut down when it is replaced. */
export type StoppableEngine = Engine & { stop(): Promise<void> };

interface Active {
  /** Identifies the configuration the engine was built from: the same id keeps the engine. */
  id: string;
  engine: StoppableEngine;
  subscription: Disposable;
}

export class SwitchingEngine implements Engine {
  private current: Active | null = null;
  /** Why there is no engine (a settings problem), or null before the first use(). */
  private unavailable: string | null = null;
  private readonly stateChanged = new Emitter<EngineState>();
  /** Requests on the active engine, aborted on a switch. */
  private readonly running = new Set<AbortController>();
  private lastState: EngineState = { kind: "stopped" };
  private lastFailure: EngineError | null = null;
  private readonly failureChanged = new Emitter<EngineError | null>();

  constructor(private readonly onStopError: (error: Error) => void = () => undefined) {}

  /** The engine requests go to now (null when there is none). */
  get active(): StoppableEngine | null {
    return this.current?.engine ?? null;
  }

  get activeId(): string | null {
    return this.current?.id ?? null;
  }

  /** The last request's failure on the active engine (not cancellations), cleared by the next success or a switch. */
  get failure(): EngineError | null {
    return this.lastFailure;
  }

  onDidChangeFailure(listener: (failure: EngineError | null) => void): Disposable {
    return this.failureChanged.on(listener);
  }

  private setFailure(failure: EngineError | null): void {
    if (failure === this.lastFailure) return;
    this.lastFailure = failure;
    this.failureChanged.fire(failure);
  }

  /** The settings problem that leaves no engine to use (null when there is one). */
  get problem(): string | null {
    return this.current ? null : this.unavailable;
  }

  /**
   * Makes the engine for `id` active: the same id keeps the current engine (returns false);
   * another id cancels the old engine's requests, stops it, and builds the new one with `make`.
   */
  use(id: string, make: () => StoppableEngine): boolean {
    if (this.current?.id === id) return false;
    this.retire();
    const engine = make();
    this.current = { id, engine, subscription: engine.onDidChangeState((state) => this.emit(state)) };
    this.unavailable = null;
    this.emit(engine.state);
    return true;
  }

  /** No engine can be used (e.g. the remote URL is missing): every request fails with `problem`. */
  useNone(problem: string): void {
    const changed = this.current !== null || this.unavailable !== problem;
    this.retire();
    this.unavailable = problem;
    if (changed) this.emit({ kind: "stopped" });
  }

  private retire(): void {
    const old = this.current;
    if (!old) return;
    this.current = null;
    old.subscription.dispose();
    for (const controller of [...this.running]) controller.abort("cancelled");
    this.running.clear();
    this.setFailure(null);
    old.engine.stop().catch((error: Error) => this.onStopError(error));
  }

  private emit(state: EngineState): void {
    this.lastState = state;
    this.stateChanged.fire(state);
  }

  get state(): EngineState {
    return this.current ? this.current.engine.state : this.lastState;
  }

  onDidChangeState(listener: (state: EngineState) => void): Disposable {
    return this.stateChanged.on(listener);
  }

  private engine(): Active {
    if (this.current) return this.current;
    throw new EngineError("badRequest", this.unavailable ?? "No model backend is configured yet.");
  }

  /**
   * Runs `call` on the active engine with a signal that also fires on a switch; a request the
   * switch interrupted fails as "cancelled", whatever error the old engine gave.
   */
  private async track<T>(
    signal: AbortSignal | undefined,
    call: (engine: Engine, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const active = this.engine();
    if (signal?.aborted) throw new EngineError("cancelled", "The request was cancelled.");
    const controller = new AbortController();
    const forward = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", forward, { once: true });
    this.running.add(controller);
    try {
      const result = await call(active.engine, controller.signal);
      if (this.current === active) this.setFailure(null);
      return result;
    } catch (error) {
      if (this.current !== active && !(signal?.aborted ?? false))
        throw new EngineError("cancelled", "The model backend changed; the request was cancelled.");
      if (error instanceof EngineError && !isCancellation(error)) this.setFailure(error);
      throw error;
    } finally {
      this.running.delete(controller);
      signal?.removeEventListener("abort", forward);
    }
  }

  load(slot: Slot, options: LoadOptionsInput, signal?: AbortSignal): Promise<ModelInfo> {
    return this.track(signal, (engine, s) => engine.load(slot, options, s));
  }

  async unload(slot: Slot): Promise<void> {
    if (this.current) await this.current.engine.unload(slot);
  }

  modelInfo(slot: Slot): ModelInfo | null {
    return this.current?.engine.modelInfo(slot) ?? null;
  }

  generate(slot: Slot, body: GenerateRequestInput, options: GenerateCallOptions = {}): Promise<GenerationResult> {
    return this.track(options.signal, (engine, signal) => engine.generate(slot, body, { ...options, signal }));
  }

  countTokens(slot: Slot, text: string, signal?: AbortSignal): Promise<number> {
    return this.track(signal, (engine, s) => engine.countTokens(slot, text, s));
  }

  // Plain delegations, typed by the interface they implement.
  readonly status: Engine["status"] = () => this.engine().engine.status();

  /** Recovers the active engine; with none (a settings problem), says what to fix. */
  async recover(): Promise<string> {
    return this.current ? this.current.engine.recover() : (this.unavailable ?? "No model backend is configured yet.");
  }

  get recoveryLabel(): string {
    return this.current?.engine.recoveryLabel ?? "Check Model Backend";
  }

  readonly hardware: Engine["hardware"] = () => this.engine().engine.hardware();

  /** Stops the active engine (extension shutdown). */
  async stop(): Promise<void> {
    const old = this.current;
    this.current = null;
    old?.subscription.dispose();
    for (const controller of [...this.running]) controller.abort("cancelled");
    await old?.engine.stop();
  }
}
