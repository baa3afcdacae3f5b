/**
 * The one protocol between the extension (or CLI) and the model worker process.
 * Every message crossing the process boundary is parsed with these schemas on both sides.
 */
import * as z from "zod";

import {
  ErrorCodeSchema,
  GenerateRequestBodySchema,
  GenerationResultSchema,
  GpuSettingSchema,
  HardwareInfoSchema,
  LaneStatsSchema,
  LoadOptionsSchema,
  ModelInfoSchema,
  SlotSchema,
} from "../engine/types";

// The domain types live in core/engine/types.ts; re-exported for the code that speaks the protocol.
export * from "../engine/types";

/** Requests, parent -> worker. Each carries an id that its reply echoes. */
export const WorkerRequestSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("init"),
    id: z.number().int(),
    gpu: GpuSettingSchema,
    /** CPU threads for generation; 0 = physical cores. */
    threads: z.number().int().min(0).max(512).default(0),
    logLevel: z.enum(["error", "warn", "info", "debug"]).default("warn"),
  }),
  z.object({ type: z.literal("load"), id: z.number().int(), slot: SlotSchema, options: LoadOptionsSchema }),
  z.object({ type: z.literal("unload"), id: z.number().int(), slot: SlotSchema }),
  z.object({
    type: z.literal("generate"),
    id: z.number().int(),
    slot: SlotSchema,
    /** A superseding request aborts any generation still running on its slot's lane. */
    supersede: z.boolean().default(false),
    body: GenerateRequestBodySchema,
  }),
  z.object({ type: z.literal("cancel"), id: z.number().int(), target: z.number().int() }),
  z.object({ type: z.literal("tokenize"), id: z.number().int(), slot: SlotSchema, text: z.string() }),
  z.object({ type: z.literal("status"), id: z.number().int() }),
  z.object({ type: z.literal("hardware"), id: z.number().int() }),
]);
export type WorkerRequest = z.infer<typeof WorkerRequestSchema>;
export type WorkerRequestInput = z.input<typeof WorkerRequestSchema>;

export const WorkerStatusSchema = z.object({
  backend: z.enum(["cuda", "vulkan", "metal", "none"]).nullable(),
  threads: z.number().int().nullable(),
  models: z.array(ModelInfoSchema),
  memory: z.object({ rssBytes: z.number(), vramUsedBytes: z.number() }),
  last: z
    .object({
      slot: SlotSchema,
      tokensPerSecond: z.number().nullable(),
      firstTokenMs: z.number().nullable(),
      generatedTokens: z.number().int(),
      tokensAfterAbort: z.number().int().min(0).optional(),
    })
    .nullable(),
  busy: z.boolean(),
  lanes: z.object({ completion: LaneStatsSchema, chat: LaneStatsSchema }),
});
export type WorkerStatus = z.infer<typeof WorkerStatusSchema>;

/** Messages, worker -> parent. */
export const WorkerMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready"), pid: z.number().int() }),
  /** Sent every few seconds by a live worker: a stopped or hung one goes silent (the client's watchdog). */
  z.object({ type: z.literal("heartbeat") }),
  z.object({ type: z.literal("chunk"), id: z.number().int(), text: z.string() }),
  z.object({ type: z.literal("result"), id: z.number().int(), result: z.unknown() }),
  z.object({ type: z.literal("error"), id: z.number().int(), code: ErrorCodeSchema, message: z.string() }),
  z.object({ type: z.literal("log"), level: z.enum(["error", "warn", "info", "debug"]), message: z.string() }),
]);
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;

/** Result schema per request type: the client validates each reply against its request's entry. */
export const ResultSchemas = {
  init: z.object({ gpu: HardwareInfoSchema.shape.gpu, threads: z.number().int() }),
  load: ModelInfoSchema,
  unload: z.object({ unloaded: z.boolean() }),
  generate: GenerationResultSchema,
  cancel: z.object({ cancelled: z.boolean() }),
  tokenize: z.object({ count: z.number().int(), tokens: z.array(z.number().int()) }),
  status: WorkerStatusSchema,
  hardware: HardwareInfoSchema,
} as const;
export type ResultFor<T extends keyof typeof ResultSchemas> = z.infer<(typeof ResultSchemas)[T]>;
