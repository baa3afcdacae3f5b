/**
 * HTTP to an inference server with Node's global fetch: a deadline for the response headers, a
 * stall timeout between bytes of a streamed body, server-sent events, and every failure turned
 * into an EngineError whose message names the server. The API key goes in the Authorization
 * header and nowhere else (not in logs, not in error messages).
 */
import type * as z from "zod";
import { EngineError } from "../../core/engine/engine";
import {
  httpFailure,
  networkFailure,
  stalledFailure,
  timeoutFailure,
  type RemoteFailure,
} from "../../core/remote/remoteErrors";
import { errorBodyMessage, parsePayload, preview } from "../../core/remote/schemas";
import { SseLimitError, SseParser, type SseEvent } from "../../core/remote/sse";
import { capLength, redactSecrets } from "../../core/security/redact";

export type FetchFn = typeof fetch;

export interface RemoteHttpOptions {
  /** Normalised server root, e.g. http://127.0.0.1:8080. */
  server: string;
  apiKey?: string;
  requestTimeoutMs: number;
  stallTimeoutMs: number;
  fetch?: FetchFn;
  /** Debug lines (method, path, status, time); never headers or bodies. */
  trace?: (message: string) => void;
}

/** The caller's own signal ended the request: its reason says why ("cancelled", "superseded", ...). */
export class CallerAbort extends Error {
  constructor(readonly reason: unknown) {
    super("aborted by the caller");
  }
}

const TIMEOUT = Symbol("timeout");
const STALL = Symbol("stall");
const MAX_ERROR_BODY = 64 * 1024;

/** Longest server text (an error body's message) quoted in an error. */
const MAX_SERVER_MESSAGE = 500;

function causeOf(error: unknown): { code: string | null; message: string } {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const c = cause as { code?: unknown; message?: unknown; errors?: { code?: unknown; message?: unknown }[] };
  const first = Array.isArray(c?.errors) ? c.errors[0] : undefined;
  const code = typeof c?.code === "string" ? c.code : typeof first?.code === "string" ? first.code : null;
  const message =
    typeof c?.message === "string" && c.message
      ? c.message
      : typeof first?.message === "string"
        ? first.message
        : String(cause);
  return { code, message };
}

export interface RequestOptions {
  method?: "GET" | "POST";
  body?: unknown;
  signal?: AbortSignal;
  /** Overrides the default headers deadline (health checks use a short one). */
  timeoutMs?: number;
  /** The model name, for 404 messages. */
  model?: string | null;
}

/** An open response whose body has not been read yet, with its abort handle. */
export interface OpenResponse {
  response: Response;
  controller: AbortController;
  signal?: AbortSignal;
  /** Detaches from the caller's signal (called when the body is done). */
  release: () => void;
}

export class RemoteHttp {
  private readonly fetchFn: FetchFn;

  constructor(readonly options: RemoteHttpOptions) {
    this.fetchFn = options.fetch ?? fetch;
  }

  get server(): string {
    return this.options.server;
  }

  /** Text that may quote the server or a header: the API key and every secret shape removed. */
  redact(text: string): string {
    return redactSecrets(text, [this.options.apiKey]);
  }

  /** An EngineError whose message can never carry the API key (servers echo headers back). */
  error(failure: RemoteFailure): EngineError {
    return new EngineError(failure.code, this.redact(failure.message), failure.retryAfterMs);
  }

  /** A failed connection or read, before the response or while its body streamed. */
  private networkError(error: unknown, afterResponse: boolean): EngineError {
    const cause = causeOf(error);
    return this.error(
      networkFailure({ server: this.server, causeCode: cause.code, causeMessage: cause.message, afterResponse }),
    );
  }

  /** Sends a request and waits for the headers; a non-2xx answer becomes an EngineError. */
  async open(path: string, request: RequestOptions = {}): Promise<OpenResponse> {
    const { signal } = request;
    if (signal?.aborted) throw new CallerAbort(signal.reason);
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const timeoutMs = request.timeoutMs ?? this.options.requestTimeoutMs;
    const timer = setTimeout(() => controller.abort(TIMEOUT), timeoutMs);
    const headers: Record<string, string> = { accept: "application/json, text/event-stream" };
    if (request.body !== undefined) headers["content-type"] = "application/json";
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const method = request.method ?? (request.body === undefined ? "GET" : "POST");
    const started = Date.now();
    let response: Response;
    try {
      response = await this.fetchFn(this.options.server + path, {
        method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: controller.signal,
      });
    } catch (error) {
      signal?.removeEventListener("abort", onAbort);
      if (signal?.aborted) throw new CallerAbort(signal.reason);
      if (controller.signal.reason === TIMEOUT) throw this.error(timeoutFailure(this.server, path, timeoutMs));
      throw this.networkError(error, false);
    } finally {
      clearTimeout(timer);
    }
    this.options.trace?.(`${method} ${path} -> ${response.status} in ${Date.now() - started} ms`);
    if (!response.ok) {
      const text = await this.readText(
        { response, controller, signal, release: () => signal?.removeEventListener("abort", onAbort) },
        MAX_ERROR_BODY,
      ).catch(() => "");
      const body = errorBodyMessage(text);
      throw this.error(
        httpFailure({
          status: response.status,
          server: this.server,
          path,
          serverMessage: capLength(body?.message ?? (text.trim() ? preview(text) : ""), MAX_SERVER_MESSAGE) || null,
          retryAfter: response.headers.get("retry-after"),
          model: request.model ?? null,
          nowMs: Date.now(),
        }),
      );
    }
    // The caller's signal keeps aborting the body read through `controller`.
    return { response, controller, signal, release: () => signal?.removeEventListener("abort", onAbort) };
  }

  /** GET/POST with a JSON answer checked against a schema. */
  async json<T>(path: string, schema: z.ZodType<T>, request: RequestOptions = {}): Promise<T> {
    const open = await this.open(path, request);
    const text = await this.readText(open, 16 * 1024 * 1024);
    const parsed = parsePayload(schema, text, `${this.server}${path}`);
    if (!parsed.ok)
      throw new EngineError(
        "remoteBadResponse",
        this.redact(
          `${capLength(parsed.message, MAX_SERVER_MESSAGE)}. Is ${this.server} an OpenAI-compatible inference server?`,
        ),
      );
    return parsed.value;
  }

  /** Reads a whole body (bounded), with the stall timeout between pieces. */
  async readText(open: OpenResponse, maxBytes: number): Promise<string> {
    let text = "";
    for await (const piece of this.pieces(open)) {
      text += piece;
      if (text.length > maxBytes) {
        open.controller.abort();
        break;
      }
    }
    return text;
  }

  /**
   * The body as server-sent events. A JSON body (a server that ignored stream: true) comes out
   * as one event. Ends when the body ends; `unterminated` tells whether it stopped mid-event.
   */
  async *events(open: OpenResponse): AsyncGenerator<SseEvent, { unterminated: boolean }> {
    const type = open.response.headers.get("content-type") ?? "";
    if (!type.includes("text/event-stream")) {
      const text = await this.readText(open, 16 * 1024 * 1024);
      yield { event: "message", data: text, id: null };
      return { unterminated: false };
    }
    const parser = new SseParser();
    // The stall timer restarts on events only: bytes that carry no event (": ping" keep-alives, a
    // line that never ends) are not progress, so a server that only pings is still abandoned.
    const stallMs = this.options.stallTimeoutMs;
    let timer = setTimeout(() => open.controller.abort(STALL), stallMs);
    const progress = () => {
      clearTimeout(timer);
      timer = setTimeout(() => open.controller.abort(STALL), stallMs);
    };
    try {
      for await (const piece of this.pieces(open, false)) {
        let events: SseEvent[];
        try {
          events = parser.push(piece);
        } catch (error) {
          if (!(error instanceof SseLimitError)) throw error;
          throw new EngineError(
            "remoteBadResponse",
            `${this.server} sent ${error.message} in its event stream; the answer was abandoned.`,
          );
        }
        for (const event of events) {
          progress();
          yield event;
        }
      }
      return parser.end();
    } finally {
      clearTimeout(timer);
    }
  }

  /** Decoded text pieces of the body as they arrive. */
  private async *pieces(open: OpenResponse, stallPerPiece = true): AsyncGenerator<string> {
    const { response, controller, signal } = open;
    const body = response.body;
    if (!body) {
      open.release();
      return;
    }
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const stallMs = this.options.stallTimeoutMs;
    let finished = false;
    try {
      for (;;) {
        const timer = stallPerPiece ? setTimeout(() => controller.abort(STALL), stallMs) : undefined;
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (signal?.aborted) throw new CallerAbort(signal.reason);
          if (controller.signal.reason === STALL) throw this.error(stalledFailure(this.server, stallMs));
          if (controller.signal.aborted) throw new CallerAbort(controller.signal.reason);
          throw this.networkError(error, true);
        } finally {
          clearTimeout(timer);
        }
        if (chunk.done) {
          finished = true;
          const rest = decoder.decode();
          if (rest) yield rest;
          return;
        }
        const text = decoder.decode(chunk.value, { stream: true });
        if (text) yield text;
      }
    } finally {
      // Leaving early (cancel, stop string, error): close the connection so the server stops.
      if (!finished) controller.abort(controller.signal.reason ?? "closed");
      reader.releaseLock();
      open.release();
    }
  }
}
