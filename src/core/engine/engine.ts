/**
 * What features (inline completion, chat, summarize, CLI) talk to. The local worker client
 * (src/client/workerClient.ts) and the remote backend (src/client/remote/remoteEngine.ts)
 * implement it. No `vscode` import here.
 */
import type {
  EngineStatus,
  ErrorCode,
  GenerateRequestInput,
  GenerationResult,
  EngineHardware,
  LoadOptionsInput,
  ModelInfo,
  Slot,
} from "./types";

export interface GenerateCallOptions {
  signal?: AbortSignal;
  /** Called with each streamed piece of text, in order. */
  onChunk?: (text: string) => void;
  /** Abort whatever still runs on this slot first (inline completion: a newer keystroke wins). */
  supersede?: boolean;
}

export type EngineState =
  | { kind: "stopped" }
  | { kind: "starting" }
  | { kind: "ready" }
  | { kind: "loading"; slot: Slot; modelPath: string }
  | { kind: "crashed"; reason: string; restartInMs: number; restarts: number }
  | { kind: "failed"; reason: string }
  /** Remote backend: the server does not answer (or refuses the key); requests still try it, and a health check brings "ready" back. */
  | { kind: "unreachable"; code: ErrorCode; reason: string; retryInMs: number | null };

export interface Disposable {
  dispose(): void;
}

export interface Engine {
  load(slot: Slot, options: LoadOptionsInput, signal?: AbortSignal): Promise<ModelInfo>;
  unload(slot: Slot): Promise<void>;
  /** The model currently loaded for a slot (null when none). */
  modelInfo(slot: Slot): ModelInfo | null;
  generate(slot: Slot, body: GenerateRequestInput, options?: GenerateCallOptions): Promise<GenerationResult>;
  countTokens(slot: Slot, text: string, signal?: AbortSignal): Promise<number>;
  status(): Promise<EngineStatus>;
  hardware(): Promise<EngineHardware>;
  /**
   * The user's way back after a failure: the local worker restarts (a fresh process), a remote
   * server is checked again (there is nothing of it to restart). Resolves to what to tell the user.
   */
  recover(): Promise<string>;
  /** What `recover()` is called in menus ("Restart Model Worker", "Check Server Connection"). */
  readonly recoveryLabel: string;
  readonly state: EngineState;
  onDidChangeState(listener: (state: EngineState) => void): Disposable;
}

/** Every engine failure carries a code so callers can react (e.g. ignore "superseded"). */
export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** How long the remote server asked us to wait before retrying (HTTP Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "EngineError";
  }
}

export function isCancellation(error: unknown): boolean {
  return error instanceof EngineError && (error.code === "cancelled" || error.code === "superseded");
}
