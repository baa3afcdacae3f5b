/**
 * What features (inline completion, chat, summarize, CLI) talk to. The local worker client
 * (src/client/workerClient.ts) and the remote backend (src/client/remote/remoteEngine.ts)
 * implement it. No `vscode` import here.
 */
import type {
  ErrorCode,
  GenerateRequestInput,
  GenerationResult,
  HardwareInfo,
  LoadOptionsInput,
  ModelInfo,
  Slot,
  WorkerStatus,
} from "../protocol/workerProtocol";

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
  status(): Promise<WorkerStatus>;
  hardware(): Promise<HardwareInfo>;
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
