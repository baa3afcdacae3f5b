/**
 * The domain of the engines: what features ask for (slots, prompts, load options) and what any
 * backend answers (models, generation results, status, error codes). The worker's wire protocol
 * (core/protocol/workerProtocol.ts) and the remote backend build on these, not the other way round.
 * zod schemas because the worker and webviews parse them at their boundaries.
 */
import * as z from "zod";

/** Which loaded model a request targets. Completion and chat may use different models. */
export const SlotSchema = z.enum(["completion", "chat"]);
export type Slot = z.infer<typeof SlotSchema>;

export const GpuSettingSchema = z.enum(["auto", "cuda", "vulkan", "metal", "cpu"]);
export type GpuSetting = z.infer<typeof GpuSettingSchema>;

/** Special tokens a prompt may reference by role; the worker maps them to the model's own ids. */
/** BOS is not listed: the engine prepends it itself when the model expects one. */
export const SpecialTokenSchema = z.enum(["eos", "fimPrefix", "fimSuffix", "fimMiddle", "fileSeparator", "repoName"]);
export type SpecialToken = z.infer<typeof SpecialTokenSchema>;

/** A prompt built as text pieces and special tokens, so the layout is decided in pure code. */
export const PromptSegmentSchema = z.union([
  z.object({ text: z.string() }).strict(),
  z.object({ special: SpecialTokenSchema }).strict(),
]);
export type PromptSegment = z.infer<typeof PromptSegmentSchema>;

export const ChatMessageSchema = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

const GenerationOptionsSchema = z.object({
  maxTokens: z.number().int().positive().max(32768),
  temperature: z.number().min(0).max(2).default(0),
  /** Wall-clock cap in ms: generation stops (stopReason "timeBudget") and returns what it has. */
  timeBudgetMs: z.number().int().positive().optional(),
  /** Generation stops before any of these strings (stopReason "stopString"). */
  stop: z.array(z.string().min(1)).max(16).optional(),
  /** Stream text chunks back as they are generated. */
  stream: z.boolean().default(true),
  /**
   * Evaluate the prompt into the KV cache and generate nothing (stopReason "warmUp"), so the next
   * request with the same start pays only for its own tokens. Superseded like any request.
   */
  warmUp: z.boolean().optional(),
});

export const GenerateRequestBodySchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("complete"), prompt: z.string() }).extend(GenerationOptionsSchema.shape),
  z
    .object({ kind: z.literal("segments"), segments: z.array(PromptSegmentSchema).min(1) })
    .extend(GenerationOptionsSchema.shape),
  z
    .object({ kind: z.literal("chat"), messages: z.array(ChatMessageSchema).min(1) })
    .extend(GenerationOptionsSchema.shape),
]);
export type GenerateRequestBody = z.infer<typeof GenerateRequestBodySchema>;
export type GenerateRequestInput = z.input<typeof GenerateRequestBodySchema>;

export const LoadOptionsSchema = z.object({
  modelPath: z.string().min(1),
  contextSize: z.number().int().min(64).max(1_048_576).optional(),
  /** "auto" lets the engine decide; a number offloads that many layers; 0 keeps everything on the CPU. */
  gpuLayers: z.union([z.literal("auto"), z.literal("max"), z.number().int().min(0)]).default("auto"),
  batchSize: z.number().int().min(1).max(8192).optional(),
});
export type LoadOptions = z.infer<typeof LoadOptionsSchema>;
export type LoadOptionsInput = z.input<typeof LoadOptionsSchema>;

export const StopReasonSchema = z.enum(["eogToken", "maxTokens", "abort", "stopString", "timeBudget", "warmUp"]);
export type StopReason = z.infer<typeof StopReasonSchema>;

export const GenerationResultSchema = z.object({
  text: z.string(),
  stopReason: StopReasonSchema,
  promptTokens: z.number().int().min(0),
  /** Prompt tokens served from the KV cache of the previous request on the same sequence. */
  reusedPromptTokens: z.number().int().min(0),
  generatedTokens: z.number().int().min(0),
  /** From request receipt in the worker to the first generated token (null if none). */
  firstTokenMs: z.number().nullable(),
  ms: z.number(),
  /** Tokens the engine still produced after the request was aborted in the worker (absent when not aborted). */
  tokensAfterAbort: z.number().int().min(0).optional(),
});
export type GenerationResult = z.infer<typeof GenerationResultSchema>;

export const ModelInfoSchema = z.object({
  slot: SlotSchema,
  modelPath: z.string(),
  architecture: z.string().nullable(),
  name: z.string().nullable(),
  contextSize: z.number().int(),
  trainContextSize: z.number().int().nullable(),
  gpuLayers: z.number().int(),
  totalLayers: z.number().int().nullable(),
  sizeBytes: z.number(),
  /** Which special tokens the model has; FIM needs fimPrefix/fimSuffix/fimMiddle. */
  specialTokens: z.record(SpecialTokenSchema, z.boolean()),
  hasChatTemplate: z.boolean(),
  loadMs: z.number(),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

export const HardwareInfoSchema = z.object({
  gpu: z.enum(["cuda", "vulkan", "metal", "none"]),
  /** What the user asked for; differs from gpu when the engine fell back. */
  requestedGpu: GpuSettingSchema,
  fallbackReason: z.string().nullable(),
  gpuDeviceNames: z.array(z.string()),
  vram: z.object({ total: z.number(), used: z.number(), free: z.number(), unifiedSize: z.number() }),
  ram: z.object({ total: z.number(), free: z.number() }),
  swap: z.object({ total: z.number(), free: z.number() }),
  cpu: z.object({ physicalCores: z.number().int(), logicalCores: z.number().int(), model: z.string() }),
  platform: z.string(),
  arch: z.string(),
});
export type HardwareInfo = z.infer<typeof HardwareInfoSchema>;

/** What a remote backend knows of the hardware: the models run on that server (llama-server does not report its machine). */
export interface RemoteHardware {
  kind: "remote";
  server: string;
}

/** This machine's hardware (local worker) or where the remote models run. */
export type EngineHardware = HardwareInfo | RemoteHardware;

export function isRemoteHardware(hardware: EngineHardware): hardware is RemoteHardware {
  return "kind" in hardware && hardware.kind === "remote";
}

/** Generation counters of one lane kind since the worker started (see LaneCounters in the worker). */
export const LaneStatsSchema = z.object({
  requests: z.number().int().min(0),
  started: z.number().int().min(0),
  skipped: z.number().int().min(0),
  peakRunning: z.number().int().min(0),
  peakAhead: z.number().int().min(0),
  /** Warm-up requests (prompt evaluation without generation): arrived, finished, superseded or cancelled. */
  warmUps: z.number().int().min(0).default(0),
  warmUpsCompleted: z.number().int().min(0).default(0),
  warmUpsAborted: z.number().int().min(0).default(0),
  /** Prompt tokens warm-ups evaluated (not reused from the KV cache). */
  warmUpTokens: z.number().int().min(0).default(0),
});
export type LaneStats = z.infer<typeof LaneStatsSchema>;

export const ErrorCodeSchema = z.enum([
  "badRequest",
  "modelNotFound",
  "modelUnreadable",
  "modelInvalid",
  "modelLoadFailed",
  "noModelLoaded",
  "fimUnsupported",
  "cancelled",
  "superseded",
  "workerCrashed",
  /** A request (or a model load) did not finish within its deadline; the worker is still alive. */
  "workerTimeout",
  "internal",
  // Remote backend (an inference server over HTTP); the messages name the server's URL.
  /** Connection refused, DNS failure, reset before an answer: the server is not there. */
  "remoteUnreachable",
  /** 401/403: missing or wrong API key. */
  "remoteUnauthorized",
  /** The server does not serve the configured model (or 404 on a model route). */
  "remoteModelNotFound",
  /** 429; the message carries the Retry-After wait when the server sent one. */
  "remoteRateLimited",
  /** 5xx. */
  "remoteServerError",
  /** The answer stopped arriving (no bytes for the stall timeout). */
  "remoteStalled",
  /** No response headers within the request timeout. */
  "remoteTimeout",
  /** The connection closed in the middle of an answer (server restarted or crashed). */
  "remoteInterrupted",
  /** The server answered something that is not the protocol we speak. */
  "remoteBadResponse",
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/** The last generation's figures (status bar, benchmarks). */
export interface LastGeneration {
  slot: Slot;
  tokensPerSecond: number | null;
  firstTokenMs: number | null;
  generatedTokens: number;
  tokensAfterAbort?: number;
}

/** What only one kind of backend can say about itself. */
export type BackendStatus =
  | {
      kind: "local";
      /** The GPU backend the worker runs on (null before it started). */
      gpu: HardwareInfo["gpu"] | null;
      threads: number | null;
      memory: { rssBytes: number; vramUsedBytes: number };
    }
  | {
      kind: "remote";
      server: string;
      /** "server" when token counts come from the server, "estimate" when it has no tokenizer (null: not known yet). */
      tokenCounting: "server" | "estimate" | null;
    };

/** An engine's status: what every backend reports, and its own part in `backend`. */
export interface EngineStatus {
  models: ModelInfo[];
  last: LastGeneration | null;
  busy: boolean;
  lanes: { completion: LaneStats; chat: LaneStats };
  backend: BackendStatus;
}
