/**
 * The HTTP payloads the remote backend reads, checked with zod: llama-server's own endpoints
 * (/health, /props, /infill, /completion, /tokenize), the OpenAI-compatible ones every server
 * offers (/v1/models, /v1/completions, /v1/chat/completions, streamed as server-sent events), and
 * error bodies. Only the fields we use are declared; unknown fields pass through (servers add them).
 */
import * as z from "zod";

const count = z.number().int().min(0);

/** llama-server's `timings`, also attached to OpenAI-style chunks (per token with timings_per_token). */
export const TimingsSchema = z.looseObject({
  /** Prompt tokens taken from the slot's KV cache. */
  cache_n: count.optional(),
  /** Prompt tokens evaluated for this request. */
  prompt_n: count.optional(),
  prompt_ms: z.number().optional(),
  predicted_n: count.optional(),
  predicted_ms: z.number().optional(),
});
export type Timings = z.infer<typeof TimingsSchema>;

export const UsageSchema = z.looseObject({
  prompt_tokens: count.optional(),
  completion_tokens: count.optional(),
  total_tokens: count.optional(),
  prompt_tokens_details: z.looseObject({ cached_tokens: count.optional() }).nullish(),
});
export type Usage = z.infer<typeof UsageSchema>;

/** GET /health: llama-server {"status":"ok"}; vLLM answers 200 with an empty body. */
export const HealthSchema = z.looseObject({ status: z.string().optional() });

/** GET /props (llama-server only). */
export const PropsSchema = z.looseObject({
  default_generation_settings: z.looseObject({ n_ctx: z.number().int().positive().optional() }).optional(),
  total_slots: z.number().int().optional(),
  model_alias: z.string().optional(),
  model_path: z.string().optional(),
  chat_template: z.string().optional(),
  build_info: z.string().optional(),
});
export type Props = z.infer<typeof PropsSchema>;

/** GET /v1/models. `meta` is llama-server's; `max_model_len` vLLM's. */
export const ModelListSchema = z.looseObject({
  data: z.array(
    z.looseObject({
      id: z.string().min(1),
      /** llama-server: other names the model answers to (--alias a,b). */
      aliases: z.array(z.string()).nullish(),
      owned_by: z.string().optional(),
      max_model_len: z.number().int().positive().nullish(),
      meta: z
        .looseObject({
          n_ctx_train: z.number().int().positive().optional(),
          n_vocab: z.number().int().optional(),
          size: z.number().optional(),
        })
        .nullish(),
    }),
  ),
});
export type ModelList = z.infer<typeof ModelListSchema>;

/** POST /tokenize: llama-server {"tokens":[ids]} or [{id,piece}] with_pieces; vLLM adds count. */
export const TokenizeResponseSchema = z.looseObject({
  tokens: z.array(
    z.union([
      z.number().int(),
      z.looseObject({ id: z.number().int(), piece: z.union([z.string(), z.array(z.number().int())]) }),
    ]),
  ),
  count: count.optional(),
});
export type TokenizeResponse = z.infer<typeof TokenizeResponseSchema>;

/** llama-server's native /completion and /infill response; streamed, each event is one of these. */
export const NativeCompletionChunkSchema = z.looseObject({
  content: z.string(),
  /** True on the last event. */
  stop: z.boolean(),
  /** "eos" | "limit" | "word" | "none" on the last event. */
  stop_type: z.string().optional(),
  stopping_word: z.string().optional(),
  tokens_predicted: count.optional(),
  tokens_evaluated: count.optional(),
  tokens_cached: count.optional(),
  timings: TimingsSchema.optional(),
});
export type NativeCompletionChunk = z.infer<typeof NativeCompletionChunkSchema>;

/**
 * One event of an OpenAI-style stream: each choice carries its own content (`choice`) besides its
 * index and finish reason; the last event may carry usage and no choices.
 */
function oaiChunkSchema<Choice extends z.ZodRawShape>(choice: Choice) {
  return z.looseObject({
    choices: z.array(
      z.looseObject({ ...choice, index: z.number().int().optional(), finish_reason: z.string().nullish() }),
    ),
    usage: UsageSchema.nullish(),
    timings: TimingsSchema.optional(),
  });
}

/** One event of a streamed POST /v1/completions. */
export const OaiCompletionChunkSchema = oaiChunkSchema({ text: z.string().nullish() });
export type OaiCompletionChunk = z.infer<typeof OaiCompletionChunkSchema>;

/** One event of a streamed POST /v1/chat/completions. */
export const OaiChatChunkSchema = oaiChunkSchema({
  delta: z.looseObject({ role: z.string().nullish(), content: z.string().nullish() }).nullish(),
});
export type OaiChatChunk = z.infer<typeof OaiChatChunkSchema>;

/**
 * Error bodies: OpenAI and llama-server {"error":{"message","type","code"}}, vLLM
 * {"object":"error","message","type","code"}, Ollama {"error":"text"}. Also sent as a stream event.
 */
export const ErrorBodySchema = z.union([
  z.looseObject({
    error: z.looseObject({
      message: z.string(),
      type: z.string().nullish(),
      code: z.union([z.number(), z.string()]).nullish(),
    }),
  }),
  z.looseObject({ error: z.string() }),
  z.looseObject({ message: z.string(), type: z.string().nullish(), code: z.union([z.number(), z.string()]).nullish() }),
]);

const NestedErrorSchema = ErrorBodySchema.options[0];
const TextErrorSchema = ErrorBodySchema.options[1];
const FlatErrorSchema = ErrorBodySchema.options[2];

/** The human message of an error body, or null when the text is no error body we know. */
export function errorBodyMessage(text: string): { message: string; type: string | null } | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  return errorJsonMessage(json);
}

export function errorJsonMessage(json: unknown): { message: string; type: string | null } | null {
  const nested = NestedErrorSchema.safeParse(json);
  if (nested.success) return { message: nested.data.error.message, type: nested.data.error.type ?? null };
  const text = TextErrorSchema.safeParse(json);
  if (text.success) return { message: text.data.error, type: null };
  const flat = FlatErrorSchema.safeParse(json);
  if (flat.success) return { message: flat.data.message, type: flat.data.type ?? null };
  return null;
}

/** Parses JSON text with a schema; the error says which endpoint answered what. */
export function parsePayload<T>(
  schema: z.ZodType<T>,
  text: string,
  what: string,
): { ok: true; value: T } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, message: `${what} is not JSON: ${preview(text)}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    return {
      ok: false,
      message: `${what} has an unexpected shape (${parsed.error.issues[0]?.path.join(".") || "root"}: ${parsed.error.issues[0]?.message}): ${preview(text)}`,
    };
  return { ok: true, value: parsed.data };
}

export function preview(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat || "(empty)";
}
