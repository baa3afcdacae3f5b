/**
 * Request bodies for a server's generation endpoints, and what each streamed event means for our
 * GenerationResult. Stop strings and the time budget are applied by the engine (client side), so
 * they are not sent; generation is always streamed (a stall is then visible as silence).
 */
import type { ChatMessage, GenerateRequestBody, StopReason } from "../engine/types";
import {
  NativeCompletionChunkSchema,
  OaiChatChunkSchema,
  OaiCompletionChunkSchema,
  type OaiChatChunk,
  type OaiCompletionChunk,
  type Timings,
  type Usage,
} from "./schemas";

/** What kind of server we talk to: llama-server takes extra fields (cache_prompt, timings). */
export type ServerKind = "llama-server" | "openai-compatible";

/** The three endpoint styles a generation can go through. */
export type EndpointStyle = "infill" | "completions" | "chat";

export const ENDPOINT_PATHS: Readonly<Record<EndpointStyle, string>> = {
  infill: "/infill",
  completions: "/v1/completions",
  chat: "/v1/chat/completions",
};

type Options = Pick<GenerateRequestBody, "maxTokens" | "temperature">;

function sampling(options: Options, kind: ServerKind): Record<string, unknown> {
  const fields: Record<string, unknown> = { temperature: options.temperature };
  if (kind === "llama-server") {
    // Reuse the slot's KV cache for the unchanged start of the prompt; report counts on every event.
    fields.cache_prompt = true;
    fields.timings_per_token = true;
    // Greedy means greedy: with top_k 1 no sampler can pick another token.
    if (options.temperature === 0) fields.top_k = 1;
  }
  return fields;
}

/** What an OpenAI-style request carries besides its prompt: streamed, with usage on the last event. */
function oaiStreamFields(options: Options, kind: ServerKind): Record<string, unknown> {
  return {
    max_tokens: options.maxTokens,
    stream: true,
    stream_options: { include_usage: true },
    ...sampling(options, kind),
  };
}

export function completionsBody(
  model: string,
  prompt: string,
  options: Options,
  kind: ServerKind,
): Record<string, unknown> {
  return { model, prompt, ...oaiStreamFields(options, kind) };
}

export function chatBody(
  model: string,
  messages: readonly ChatMessage[],
  options: Options,
  kind: ServerKind,
): Record<string, unknown> {
  return {
    model,
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    ...oaiStreamFields(options, kind),
  };
}

export function infillBody(
  model: string,
  fields: {
    input_prefix: string;
    input_suffix: string;
    input_extra: { filename?: string; text: string }[];
    prompt: string;
  },
  options: Options,
): Record<string, unknown> {
  return { model, ...fields, n_predict: options.maxTokens, stream: true, ...sampling(options, "llama-server") };
}

/** One streamed event, normalised. Counts are null where the event did not carry them. */
export interface StreamStep {
  text: string;
  /** Set on the event that ends generation. */
  finish: StopReason | null;
  /** The server says this is the last event (llama-server's native `stop: true`). */
  last: boolean;
  promptTokens: number | null;
  cachedPromptTokens: number | null;
  generatedTokens: number | null;
}

function fromUsage(
  usage: Usage | null | undefined,
  timings: Timings | undefined,
): Pick<StreamStep, "promptTokens" | "cachedPromptTokens" | "generatedTokens"> {
  const timedPrompt = timings?.prompt_n !== undefined ? timings.prompt_n + (timings.cache_n ?? 0) : null;
  return {
    promptTokens: usage?.prompt_tokens ?? timedPrompt,
    cachedPromptTokens: usage?.prompt_tokens_details?.cached_tokens ?? timings?.cache_n ?? null,
    generatedTokens: usage?.completion_tokens ?? timings?.predicted_n ?? null,
  };
}

/** OpenAI finish_reason -> ours. "stop" covers EOS (we send no stop strings). */
export function finishReason(reason: string | null | undefined): StopReason | null {
  if (reason === null || reason === undefined) return null;
  if (reason === "length") return "maxTokens";
  return "eogToken";
}

/** llama-server's native stop_type -> ours. */
export function nativeStopReason(stopType: string | undefined): StopReason {
  if (stopType === "limit") return "maxTokens";
  if (stopType === "word") return "stopString";
  return "eogToken";
}

export type StepResult = { ok: true; step: StreamStep } | { ok: false; message: string };

/** Reads one event's JSON for an endpoint style. */
export function parseStep(style: EndpointStyle, json: unknown): StepResult {
  if (style === "infill") {
    const parsed = NativeCompletionChunkSchema.safeParse(json);
    if (!parsed.success) return { ok: false, message: issue(parsed.error) };
    const c = parsed.data;
    return {
      ok: true,
      step: {
        text: c.content,
        finish: c.stop ? nativeStopReason(c.stop_type) : null,
        last: c.stop,
        promptTokens:
          c.tokens_evaluated ??
          (c.timings?.prompt_n !== undefined ? c.timings.prompt_n + (c.timings.cache_n ?? 0) : null),
        cachedPromptTokens: c.timings?.cache_n ?? null,
        generatedTokens: c.tokens_predicted ?? c.timings?.predicted_n ?? null,
      },
    };
  }
  if (style === "completions") {
    const parsed = OaiCompletionChunkSchema.safeParse(json);
    if (!parsed.success) return { ok: false, message: issue(parsed.error) };
    return { ok: true, step: oaiStep(parsed.data, parsed.data.choices[0]?.text) };
  }
  const parsed = OaiChatChunkSchema.safeParse(json);
  if (!parsed.success) return { ok: false, message: issue(parsed.error) };
  return { ok: true, step: oaiStep(parsed.data, parsed.data.choices[0]?.delta?.content) };
}

/** An OpenAI-style event: `text` of its first choice, that choice's finish reason, usage if any. */
function oaiStep(chunk: OaiCompletionChunk | OaiChatChunk, text: string | null | undefined): StreamStep {
  return {
    text: text ?? "",
    finish: finishReason(chunk.choices[0]?.finish_reason),
    last: false,
    ...fromUsage(chunk.usage, chunk.timings),
  };
}

function issue(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const first = error.issues[0];
  return first ? `${first.path.map(String).join(".") || "root"}: ${first.message}` : "invalid";
}
