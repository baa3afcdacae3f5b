/**
 * The Engine backed by an inference server over HTTP (llama-server, vLLM, Ollama, any
 * OpenAI-compatible server). Features use it exactly like the local worker client:
 * - load() checks that the server is up and serves the named model (llama-server answers with
 *   whatever model it has, so a wrong name would otherwise go unnoticed), and how FIM prompts can
 *   be sent: as text with the model's FIM token texts through /v1/completions (confirmed against
 *   the server's tokenizer where it has one), or through llama-server's /infill.
 * - generate() streams; stop strings and the time budget are applied here, so every server ends
 *   where the local worker would; cancel and supersede abort the HTTP request, which stops the
 *   server's generation.
 * - state follows the server's health: "unreachable" after a connection failure, back to "ready"
 *   on the next success or background health check.
 */
import {
  EngineError,
  type Disposable,
  type Engine,
  type EngineState,
  type GenerateCallOptions,
} from "../../core/engine/engine";
import { LaneCounters } from "../../core/engine/laneCounters";
import {
  GenerateRequestBodySchema,
  type GenerateRequestBody,
  type GenerateRequestInput,
  type GenerationResult,
  type RemoteHardware,
  type LoadOptionsInput,
  type ModelInfo,
  type Slot,
  type SpecialToken,
  type StopReason,
  type EngineStatus,
} from "../../core/engine/types";
import {
  candidateTokenTexts,
  familyFromModelName,
  fimTemplate,
  templateFromVocabulary,
  templateSpecialTokens,
  type FimFamily,
  type FimTemplate,
} from "../../core/remote/fimTemplates";
import {
  normalizeServerUrl,
  ONLY_SERVED_MODEL,
  type CompletionRoute,
  type FimFamilySetting,
} from "../../core/remote/remoteConfig";
import { httpFailure, isConnectionFailure } from "../../core/remote/remoteErrors";
import { segmentsToInfill, segmentsToTemplateText } from "../../core/remote/remotePrompt";
import {
  chatBody,
  completionsBody,
  ENDPOINT_PATHS,
  infillBody,
  parseStep,
  type EndpointStyle,
  type ServerKind,
} from "../../core/remote/remoteRequests";
import {
  errorJsonMessage,
  ModelListSchema,
  PropsSchema,
  TokenizeResponseSchema,
  type ModelList,
  type Props,
} from "../../core/remote/schemas";
import { SSE_DONE } from "../../core/remote/sse";
import { capLength } from "../../core/security/redact";
import { StopStringMatcher } from "../../core/remote/stopStrings";
import type { LogLevel, Logger } from "../../core/util/logger";
import { Emitter } from "../../core/util/emitter";
import { setTimeout as delay } from "node:timers/promises";
import { CHARS_PER_TOKEN, estimateTokens } from "../../core/util/tokenEstimate";
import { CallerAbort, RemoteHttp, type FetchFn } from "./remoteHttp";

export interface RemoteEngineOptions {
  /** The server's root URL (a trailing /v1 is accepted). A malformed URL throws here. */
  url: string;
  /** Sent as `Authorization: Bearer`; never logged. */
  apiKey?: string;
  /** How FIM prompts are sent (default auto: /v1/completions with confirmed token texts, else llama-server's /infill). */
  completionRoute?: CompletionRoute;
  /** FIM token texts for /v1/completions (default auto: the server's tokenizer, else the model's name). */
  fimFamily?: FimFamilySetting;
  /** Deadline for response headers (default 60 s; llama-server sends them with the first token). */
  requestTimeoutMs?: number;
  /** Longest silence inside a streamed answer (default 30 s). */
  stallTimeoutMs?: number;
  /** Deadline for a whole answer, however it streams (default 10 min): a server that never finishes is abandoned. */
  totalTimeoutMs?: number;
  /** How long load() waits for a server that is still loading its model (default 120 s). */
  loadTimeoutMs?: number;
  /** First health re-check after a connection failure, doubling up to 30 s (default 1 s; 0 = none). */
  healthRetryMs?: number;
  log?: Logger;
  fetch?: FetchFn;
}

/** How a loaded slot's requests are sent. */
interface SlotSetup {
  info: ModelInfo;
  model: string;
  route: "infill" | "completions";
  template: FimTemplate | null;
  family: FimFamily | null;
}

interface ServerFacts {
  kind: ServerKind;
  props: Props | null;
  models: ModelList["data"];
}

const HEALTH_TIMEOUT_MS = 5_000;
const MAX_HEALTH_RETRY_MS = 30_000;
const DEFAULT_CONTEXT = 4096;

type Lane = "completion" | "chat";

export class RemoteEngine implements Engine {
  readonly server: string;
  private readonly http: RemoteHttp;
  private readonly slots = new Map<Slot, SlotSetup>();
  private readonly stateChanged = new Emitter<EngineState>();
  private readonly running: Record<Lane, Set<AbortController>> = { completion: new Set(), chat: new Set() };
  private readonly counters: Record<Lane, LaneCounters> = { completion: new LaneCounters(), chat: new LaneCounters() };
  private currentState: EngineState = { kind: "stopped" };
  private kind: ServerKind | null = null;
  private tokenizeSupport: "server" | "estimate" | null = null;
  private healthTimer: NodeJS.Timeout | null = null;
  private healthDelay: number;
  private stopped = false;
  private last: EngineStatus["last"] = null;

  constructor(private readonly options: RemoteEngineOptions) {
    const url = normalizeServerUrl(options.url);
    if (!url.ok) throw new EngineError("badRequest", `Remote server URL: ${url.message}`);
    this.server = url.url;
    this.healthDelay = options.healthRetryMs ?? 1000;
    this.http = new RemoteHttp({
      server: this.server,
      apiKey: options.apiKey,
      requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
      stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
      fetch: options.fetch,
      trace: (m) => this.log("debug", `remote ${m}`),
    });
  }

  get state(): EngineState {
    return this.currentState;
  }

  /** "server" when token counts come from the server's /tokenize, "estimate" when it has none (null: not known yet). */
  get tokenCounting(): "server" | "estimate" | null {
    return this.tokenizeSupport;
  }

  /** llama-server or another OpenAI-compatible server (null before the first load). */
  get serverKind(): ServerKind | null {
    return this.kind;
  }

  /** How FIM prompts of the completion slot are sent, and with which template (for logs and docs). */
  completionSetup(): {
    route: "infill" | "completions";
    template: FimTemplate | null;
    family: FimFamily | null;
  } | null {
    const setup = this.slots.get("completion");
    return setup ? { route: setup.route, template: setup.template, family: setup.family } : null;
  }

  onDidChangeState(listener: (state: EngineState) => void): Disposable {
    return this.stateChanged.on(listener);
  }

  private setState(state: EngineState): void {
    const same = JSON.stringify(state) === JSON.stringify(this.currentState);
    this.currentState = state;
    if (!same) this.stateChanged.fire(state);
  }

  private log(level: LogLevel, message: string): void {
    this.options.log?.[level](this.http.redact(message));
  }

  // ------------------------------------------------------------------ health

  /**
   * Asks the server whether it is up (GET /health, or /v1/models where there is no /health) and
   * updates the state: the retry path after "unreachable". Resolves to the new state.
   */
  async checkHealth(signal?: AbortSignal): Promise<EngineState> {
    try {
      await this.health(signal, HEALTH_TIMEOUT_MS);
      await this.confirmModels(signal);
      this.markHealthy();
    } catch (error) {
      if (error instanceof CallerAbort) throw cancelled(error.reason);
      if (error instanceof EngineError) this.markUnhealthy(error);
      else throw error;
    }
    return this.currentState;
  }

  /** GET /health; 404 (no such endpoint, e.g. Ollama) counts as up. 503 "loading" is an error. */
  private async health(signal: AbortSignal | undefined, timeoutMs: number): Promise<void> {
    try {
      // Any 2xx is healthy: llama-server says {"status":"ok"}, vLLM sends an empty body.
      const open = await this.http.open("/health", { signal, timeoutMs });
      await this.http.readText(open, 64 * 1024);
    } catch (error) {
      if (error instanceof EngineError && error.code === "remoteModelNotFound") return;
      throw error;
    }
  }

  /** After a recovery: the slots' models must still be served (a restarted server may serve another). */
  private async confirmModels(signal?: AbortSignal): Promise<void> {
    if (this.slots.size === 0) return;
    const list = await this.http.json("/v1/models", ModelListSchema, { signal, timeoutMs: HEALTH_TIMEOUT_MS });
    const ids = list.data.flatMap(namesOf);
    for (const setup of this.slots.values())
      if (!ids.includes(setup.model))
        throw new EngineError(
          "remoteModelNotFound",
          `${this.server} no longer serves "${setup.model}"; it serves: ${ids.join(", ") || "nothing"}.`,
        );
  }

  private markHealthy(): void {
    this.healthDelay = this.options.healthRetryMs ?? 1000;
    if (this.healthTimer) clearTimeout(this.healthTimer);
    this.healthTimer = null;
    if (this.currentState.kind === "unreachable") this.log("info", `${this.server} is reachable again.`);
    if (this.currentState.kind !== "loading") this.setState({ kind: "ready" });
  }

  private markUnhealthy(error: EngineError): void {
    if (this.stopped) return;
    const retry = this.options.healthRetryMs ?? 1000;
    const retryInMs = retry > 0 ? this.healthDelay : null;
    if (this.currentState.kind !== "unreachable") this.log("warn", error.message);
    this.setState({ kind: "unreachable", code: error.code, reason: error.message, retryInMs });
    if (retryInMs === null || this.healthTimer) return;
    this.healthTimer = setTimeout(() => {
      this.healthTimer = null;
      this.healthDelay = Math.min(this.healthDelay * 2, MAX_HEALTH_RETRY_MS);
      if (!this.stopped) void this.checkHealth().catch(() => undefined);
    }, retryInMs);
    this.healthTimer.unref?.();
  }

  // ------------------------------------------------------------------ load

  /**
   * Checks the server and the model for a slot. `modelPath` is the server's model name ("" = the
   * server's only model); `contextSize` is used only when the server does not say its own.
   */
  async load(slot: Slot, options: LoadOptionsInput, signal?: AbortSignal): Promise<ModelInfo> {
    if (this.stopped) throw new EngineError("badRequest", "The remote engine was stopped.");
    const started = performance.now();
    this.setState({ kind: "loading", slot, modelPath: options.modelPath });
    try {
      const facts = await this.serverFacts(signal);
      const model = this.pickModel(options.modelPath, facts.models);
      const entry = facts.models.find((m) => namesOf(m).includes(model));
      const serverContext = facts.props?.default_generation_settings?.n_ctx ?? entry?.max_model_len ?? null;
      if (serverContext === null)
        this.log(
          "info",
          `${this.server} does not say its context size; budgeting with ${options.contextSize ?? DEFAULT_CONTEXT} tokens (the ${slot} context-size setting).`,
        );
      await this.ensureTokenizeSupport(facts.kind, model, signal);
      const fim =
        slot === "completion"
          ? await this.completionRoute(facts, model, signal)
          : { route: "completions" as const, template: null, family: null, specialTokens: templateSpecialTokens(null) };
      const info: ModelInfo = {
        slot,
        modelPath: model,
        architecture: null,
        name: model,
        contextSize: serverContext ?? options.contextSize ?? DEFAULT_CONTEXT,
        trainContextSize: entry?.meta?.n_ctx_train ?? null,
        gpuLayers: 0,
        totalLayers: null,
        sizeBytes: entry?.meta?.size ?? 0,
        specialTokens: fim.specialTokens,
        hasChatTemplate: facts.kind === "llama-server" ? Boolean(facts.props?.chat_template) : true,
        loadMs: performance.now() - started,
      };
      this.slots.set(slot, { info, model, route: fim.route, template: fim.template, family: fim.family });
      this.log(
        "info",
        `${slot}: "${model}" on ${this.server} (${facts.kind}${slot === "completion" ? `, FIM via ${fim.route === "infill" ? "/infill" : `/v1/completions${fim.template ? ` with ${fim.template.family} tokens` : " (no FIM template)"}`}` : ""}).`,
      );
      this.markHealthy();
      this.setState({ kind: "ready" });
      return info;
    } catch (error) {
      if (error instanceof CallerAbort) {
        this.setState(this.slots.size > 0 ? { kind: "ready" } : { kind: "stopped" });
        throw cancelled(error.reason);
      }
      if (error instanceof EngineError && isConnectionFailure(error.code)) this.markUnhealthy(error);
      else if (error instanceof EngineError && error.code === "remoteUnauthorized")
        this.setState({ kind: "unreachable", code: error.code, reason: error.message, retryInMs: null });
      else
        this.setState(this.slots.size > 0 ? { kind: "ready" } : { kind: "failed", reason: (error as Error).message });
      throw error;
    }
  }

  /** Health (waiting while the server loads its model), the model list and, for llama-server, /props. */
  private async serverFacts(signal?: AbortSignal): Promise<ServerFacts> {
    const deadline = Date.now() + (this.options.loadTimeoutMs ?? 120_000);
    for (;;) {
      try {
        await this.health(signal, HEALTH_TIMEOUT_MS);
        break;
      } catch (error) {
        const loading =
          error instanceof EngineError && error.code === "remoteServerError" && /loading/i.test(error.message);
        if (!loading || Date.now() > deadline) throw error;
        await delay(500, undefined, { signal }).catch(() => {
          throw new CallerAbort(signal?.reason);
        });
      }
    }
    const list = await this.http.json("/v1/models", ModelListSchema, { signal });
    let props: Props | null = null;
    try {
      props = await this.http.json("/props", PropsSchema, { signal });
    } catch (error) {
      // Not llama-server (vLLM and Ollama have no /props).
      if (
        !(error instanceof EngineError) ||
        (error.code !== "remoteModelNotFound" && error.code !== "remoteBadResponse" && error.code !== "badRequest")
      )
        throw error;
    }
    const kind: ServerKind =
      props !== null && props.default_generation_settings !== undefined ? "llama-server" : "openai-compatible";
    this.kind = kind;
    return { kind, props: kind === "llama-server" ? props : null, models: list.data };
  }

  private pickModel(requested: string, models: ModelList["data"]): string {
    const ids = models.map((m) => m.id);
    if (requested === ONLY_SERVED_MODEL) {
      if (ids.length === 1) return ids[0];
      throw new EngineError(
        "remoteModelNotFound",
        ids.length === 0
          ? `${this.server} serves no model.`
          : `${this.server} serves several models (${ids.join(", ")}); name the one to use.`,
      );
    }
    if (models.some((m) => namesOf(m).includes(requested))) return requested;
    throw new EngineError(
      "remoteModelNotFound",
      `The model "${requested}" is not on ${this.server}; it serves: ${ids.join(", ") || "nothing"}. Set the model name to one of these.`,
    );
  }

  /** Whether the server has /tokenize (llama-server, vLLM); without it counts are estimates. */
  private async ensureTokenizeSupport(kind: ServerKind, model: string, signal?: AbortSignal): Promise<void> {
    if (this.tokenizeSupport !== null) return;
    try {
      await this.tokenize(kind, model, "a", signal);
      this.tokenizeSupport = "server";
    } catch (error) {
      if (error instanceof EngineError && (error.code === "remoteModelNotFound" || error.code === "badRequest")) {
        this.tokenizeSupport = "estimate";
        this.log(
          "warn",
          `${this.server} has no /tokenize: token counts for context budgets are estimates (${CHARS_PER_TOKEN} characters per token).`,
        );
      } else throw error;
    }
  }

  private async tokenize(kind: ServerKind, model: string, text: string, signal?: AbortSignal, withPieces = false) {
    const body =
      kind === "llama-server"
        ? { content: text, add_special: false, parse_special: withPieces, with_pieces: withPieces }
        : { model, prompt: text, add_special_tokens: false };
    return this.http.json("/tokenize", TokenizeResponseSchema, { body, signal, model });
  }

  /** Decides how FIM prompts go to this server, and which special tokens the prompt may use. */
  private async completionRoute(
    facts: ServerFacts,
    model: string,
    signal?: AbortSignal,
  ): Promise<{
    route: "infill" | "completions";
    template: FimTemplate | null;
    family: FimFamily | null;
    specialTokens: Record<SpecialToken, boolean>;
  }> {
    const wanted = this.options.completionRoute ?? "auto";
    const familySetting = this.options.fimFamily ?? "auto";
    if (wanted === "infill" && facts.kind !== "llama-server")
      throw new EngineError(
        "badRequest",
        `${this.server} is not llama-server, so it has no /infill; use the "completions" route with a FIM family.`,
      );

    // Which FIM token texts the model has.
    let template: FimTemplate | null = null;
    let family: FimFamily | null = familySetting === "auto" ? familyFromModelName(model) : familySetting;
    if (this.tokenizeSupport === "server" && wanted !== "infill") {
      const confirmed = await this.confirmedTexts(
        facts.kind,
        model,
        familySetting === "auto" ? candidateTokenTexts() : templateTexts(fimTemplate(familySetting)),
        signal,
      );
      if (familySetting === "auto") {
        template = templateFromVocabulary((t) => confirmed.has(t));
        family = template?.family ?? family;
      } else {
        const t = fimTemplate(familySetting);
        if (t && !(confirmed.has(t.prefix) && confirmed.has(t.suffix) && confirmed.has(t.middle)))
          throw new EngineError(
            "fimUnsupported",
            `The model "${model}" on ${this.server} does not have the ${familySetting} FIM tokens (${t.prefix} ${t.suffix} ${t.middle}); check the FIM family setting.`,
          );
        template = t
          ? {
              ...t,
              fileSeparator: t.fileSeparator && confirmed.has(t.fileSeparator) ? t.fileSeparator : null,
              repoName: t.repoName && confirmed.has(t.repoName) ? t.repoName : null,
            }
          : null;
      }
    } else if (wanted !== "infill" && family) {
      template = fimTemplate(family);
    }

    const useInfill = wanted === "infill" || (wanted === "auto" && facts.kind === "llama-server" && template === null);
    if (!useInfill) return { route: "completions", template, family, specialTokens: templateSpecialTokens(template) };
    const fim = await this.infillSupported(signal);
    // /infill writes the model's own FIM, file-separator and repo tokens; our prompt's file sections become input_extra.
    return {
      route: "infill",
      template: null,
      family,
      specialTokens: {
        eos: false,
        fimPrefix: fim,
        fimSuffix: fim,
        fimMiddle: fim,
        fileSeparator: fim,
        repoName: false,
      },
    };
  }

  /** The texts the server's tokenizer turns into exactly one token that reads back as the text. */
  private async confirmedTexts(
    kind: ServerKind,
    model: string,
    texts: string[],
    signal?: AbortSignal,
  ): Promise<Set<string>> {
    const confirmed = new Set<string>();
    if (kind !== "llama-server") return confirmed; // only llama-server's /tokenize reports pieces
    await Promise.all(
      texts.map(async (text) => {
        const res = await this.tokenize(kind, model, text, signal, true);
        const only = res.tokens.length === 1 ? res.tokens[0] : null;
        if (only !== null && typeof only === "object" && only.piece === text) confirmed.add(text);
      }),
    );
    return confirmed;
  }

  /** llama-server answers 501 on /infill when the model has no FIM tokens. */
  private async infillSupported(signal?: AbortSignal): Promise<boolean> {
    try {
      const open = await this.http.open("/infill", {
        body: { input_prefix: "", input_suffix: "", n_predict: 1, stream: false },
        signal,
      });
      await this.http.readText(open, 1024 * 1024);
      return true;
    } catch (error) {
      if (error instanceof EngineError && error.code === "remoteServerError" && /not supported/i.test(error.message))
        return false;
      throw error;
    }
  }

  async unload(slot: Slot): Promise<void> {
    this.slots.delete(slot);
  }

  modelInfo(slot: Slot): ModelInfo | null {
    return this.slots.get(slot)?.info ?? null;
  }

  // ------------------------------------------------------------------ generate

  generate(slot: Slot, input: GenerateRequestInput, options: GenerateCallOptions = {}): Promise<GenerationResult> {
    if (input.warmUp && input.kind !== "chat")
      return this.counters.completion.warmUp(this.generateOnce(slot, input, options));
    return this.generateOnce(slot, input, options);
  }

  private async generateOnce(
    slot: Slot,
    input: GenerateRequestInput,
    options: GenerateCallOptions,
  ): Promise<GenerationResult> {
    if (options.signal?.aborted) throw new EngineError("cancelled", "The request was cancelled.");
    const parsed = GenerateRequestBodySchema.safeParse(input);
    if (!parsed.success) throw new EngineError("badRequest", `Invalid generate request: ${parsed.error.message}`);
    const body = parsed.data;
    const setup = this.slots.get(slot);
    if (!setup) throw new EngineError("noModelLoaded", `No ${slot} model is set up on ${this.server}; load it first.`);
    const request = this.buildRequest(setup, body);
    if (body.warmUp && body.kind !== "chat") {
      // A warm-up evaluates the prompt and generates nothing: llama-server keeps the prompt in its
      // slot's cache (cache_prompt) with n_predict 0. Other servers keep no prompt cache we can fill.
      if (this.kind !== "llama-server")
        return {
          text: "",
          stopReason: "warmUp",
          promptTokens: 0,
          reusedPromptTokens: 0,
          generatedTokens: 0,
          firstTokenMs: null,
          ms: 0,
        };
      request.body = { ...request.body, n_predict: 0, ...(request.style === "infill" ? {} : { max_tokens: 0 }) };
    }

    const lane: Lane = body.kind === "chat" ? "chat" : "completion";
    if (options.supersede) for (const c of this.running[lane]) c.abort("superseded");
    const counters = this.counters[lane];
    counters.arrived([...this.running[lane]].filter((c) => !c.signal.aborted).length);
    const controller = new AbortController();
    const onCallerAbort = () => controller.abort("cancelled");
    options.signal?.addEventListener("abort", onCallerAbort, { once: true });
    this.running[lane].add(controller);
    const budget =
      body.timeBudgetMs !== undefined ? setTimeout(() => controller.abort("timeBudget"), body.timeBudgetMs) : null;
    const totalMs = this.options.totalTimeoutMs ?? 600_000;
    const deadline = setTimeout(() => controller.abort("deadline"), totalMs);
    counters.start();
    try {
      const streamed = await this.stream(request.style, request.body, body, setup.model, controller, options.onChunk);
      const result: GenerationResult =
        body.warmUp && body.kind !== "chat"
          ? { ...streamed, text: "", stopReason: "warmUp", generatedTokens: 0 }
          : streamed;
      this.last = {
        slot,
        tokensPerSecond:
          result.generatedTokens > 0 && result.ms > 0 ? (result.generatedTokens * 1000) / result.ms : null,
        firstTokenMs: result.firstTokenMs,
        generatedTokens: result.generatedTokens,
      };
      if (this.currentState.kind === "unreachable") this.markHealthy();
      return result;
    } catch (error) {
      if (controller.signal.reason === "deadline")
        throw new EngineError(
          "remoteTimeout",
          `${this.server} did not finish the answer within ${totalMs < 1500 ? "1 second" : `${Math.round(totalMs / 1000)} seconds`}; it was abandoned. Retry, or ask for fewer tokens.`,
        );
      if (error instanceof CallerAbort) throw cancelled(error.reason);
      if (error instanceof EngineError && isConnectionFailure(error.code)) this.markUnhealthy(error);
      throw error;
    } finally {
      if (budget) clearTimeout(budget);
      clearTimeout(deadline);
      options.signal?.removeEventListener("abort", onCallerAbort);
      this.running[lane].delete(controller);
      counters.end();
    }
  }

  private buildRequest(
    setup: SlotSetup,
    body: GenerateRequestBody,
  ): { style: EndpointStyle; body: Record<string, unknown> } {
    const kind = this.kind ?? "openai-compatible";
    switch (body.kind) {
      case "chat":
        return { style: "chat", body: chatBody(setup.model, body.messages, body, kind) };
      case "complete":
        return { style: "completions", body: completionsBody(setup.model, body.prompt, body, kind) };
      case "segments": {
        if (setup.route === "infill") {
          if (!setup.info.specialTokens.fimMiddle)
            throw new EngineError(
              "fimUnsupported",
              `The model "${setup.model}" on ${this.server} has no fill-in-the-middle tokens (llama-server's /infill refuses it); choose a code model with FIM support.`,
            );
          const fields = segmentsToInfill(body.segments);
          if (!fields.ok) throw new EngineError(fields.code, fields.message);
          return { style: "infill", body: infillBody(setup.model, fields.value, body) };
        }
        const text = segmentsToTemplateText(body.segments, setup.template, setup.family, this.server);
        if (!text.ok) throw new EngineError(text.code, text.message);
        return { style: "completions", body: completionsBody(setup.model, text.value, body, kind) };
      }
    }
  }

  /** Sends one generation and reads its stream to the end (or to a stop string / the time budget). */
  private async stream(
    style: EndpointStyle,
    requestBody: Record<string, unknown>,
    body: GenerateRequestBody,
    model: string,
    controller: AbortController,
    onChunk?: (text: string) => void,
  ): Promise<GenerationResult> {
    const started = performance.now();
    const path = ENDPOINT_PATHS[style];
    const matcher = new StopStringMatcher(body.stop ?? []);
    let text = "";
    let firstTokenMs: number | null = null;
    let textEvents = 0;
    let promptTokens: number | null = null;
    let cached: number | null = null;
    let generated: number | null = null;
    /** The server's token count as of the last event with text: an end-of-generation token adds one more that has none. */
    let generatedAtLastText: number | null = null;
    let finish: StopReason | null = null;
    let complete = false;
    const emit = (piece: string) => {
      if (!piece) return;
      text += piece;
      if (body.stream) onChunk?.(piece);
    };
    const result = (stopReason: StopReason): GenerationResult => ({
      text,
      stopReason,
      promptTokens: promptTokens ?? 0,
      reusedPromptTokens: cached ?? 0,
      // As the local worker counts: without the end-of-generation token (llama-server counts it;
      // its per-token counts show where the text ended). Servers that report no counts: one event per token.
      generatedTokens:
        stopReason === "eogToken" && generatedAtLastText !== null ? generatedAtLastText : (generated ?? textEvents),
      firstTokenMs,
      ms: performance.now() - started,
    });

    let events: AsyncGenerator<unknown, unknown> | null = null;
    try {
      const open = await this.http.open(path, { body: requestBody, signal: controller.signal, model });
      const stream = this.http.events(open);
      events = stream;
      for (;;) {
        const next = await stream.next();
        if (next.done) {
          if (next.value.unterminated) this.log("debug", `${path}: the stream ended inside an event`);
          break;
        }
        const data = next.value.data;
        if (data === SSE_DONE) {
          complete = true;
          break;
        }
        let json: unknown;
        try {
          json = JSON.parse(data);
        } catch {
          throw new EngineError(
            "remoteBadResponse",
            this.http.redact(`${this.server}${path} sent an event that is not JSON: ${data.slice(0, 120)}`),
          );
        }
        const serverError = errorJsonMessage(json);
        if (
          serverError &&
          (json as { choices?: unknown }).choices === undefined &&
          (json as { content?: unknown }).content === undefined
        ) {
          const status = Number((json as { error?: { code?: unknown } }).error?.code);
          const failure = httpFailure({
            status: Number.isInteger(status) && status >= 400 ? status : 500,
            server: this.server,
            path,
            serverMessage: capLength(serverError.message, 500),
            retryAfter: null,
            model,
            nowMs: Date.now(),
          });
          throw this.http.error({ ...failure, message: `${failure.message} (in the middle of the answer)` });
        }
        const step = parseStep(style, json);
        if (!step.ok)
          throw new EngineError(
            "remoteBadResponse",
            `${this.server}${path} sent an unexpected event (${step.message}).`,
          );
        const s = step.step;
        promptTokens = s.promptTokens ?? promptTokens;
        cached = s.cachedPromptTokens ?? cached;
        generated = s.generatedTokens ?? generated;
        if (s.text) {
          // Our own cap: one text event is at least one token, so a server that ignores
          // max_tokens is stopped here (an honest one never sends text past the limit).
          if (textEvents >= body.maxTokens) {
            controller.abort("maxTokens");
            generated = body.maxTokens;
            generatedAtLastText = body.maxTokens;
            emit(matcher.flush());
            return result("maxTokens");
          }
          textEvents++;
          generatedAtLastText = s.generatedTokens;
          firstTokenMs ??= performance.now() - started;
          const out = matcher.push(s.text);
          emit(out.emit);
          if (out.stopped) {
            controller.abort("stopString");
            return result("stopString");
          }
        }
        if (s.finish) finish = s.finish;
        if (s.last) {
          complete = true;
          break;
        }
      }
    } catch (error) {
      const reason = controller.signal.reason;
      if (controller.signal.aborted && reason === "timeBudget") {
        emit(matcher.flush());
        return result("timeBudget");
      }
      if (controller.signal.aborted && reason === "stopString") return result("stopString");
      throw error;
    } finally {
      // Closes the connection when we leave early (stop string, budget, error): the server stops generating.
      await events?.return(undefined).catch(() => undefined);
    }
    if (!complete && finish === null)
      throw new EngineError(
        "remoteInterrupted",
        `${this.server}${path} ended the answer before it was complete; the server may have restarted. Retry.`,
      );
    emit(matcher.flush());
    return result(finish ?? "eogToken");
  }

  // ------------------------------------------------------------------ the rest of Engine

  async countTokens(slot: Slot, text: string, signal?: AbortSignal): Promise<number> {
    const setup = this.slots.get(slot);
    if (!setup) throw new EngineError("noModelLoaded", `No ${slot} model is set up on ${this.server}; load it first.`);
    if (this.tokenizeSupport === "estimate") return estimateTokens(text);
    try {
      const res = await this.tokenize(this.kind ?? "openai-compatible", setup.model, text, signal);
      return res.count ?? res.tokens.length;
    } catch (error) {
      if (error instanceof CallerAbort) throw cancelled(error.reason);
      if (error instanceof EngineError && isConnectionFailure(error.code)) this.markUnhealthy(error);
      throw error;
    }
  }

  async status(): Promise<EngineStatus> {
    return {
      backend: { kind: "remote", server: this.server, tokenCounting: this.tokenizeSupport },
      models: [...this.slots.values()].map((s) => s.info),
      last: this.last,
      busy: this.running.completion.size + this.running.chat.size > 0,
      lanes: { completion: this.counters.completion.snapshot(), chat: this.counters.chat.snapshot() },
    };
  }

  readonly recoveryLabel = "Check Server Connection";

  /** Nothing of a server can be restarted from here: check it again instead. */
  async recover(): Promise<string> {
    const state = await this.checkHealth();
    return `${this.server} is ${state.kind === "unreachable" ? "still unreachable" : "reachable"}`;
  }

  /** Not this machine's hardware: where the models run (the server does not report its own machine). */
  async hardware(): Promise<RemoteHardware> {
    return { kind: "remote", server: this.server };
  }

  /** Requests still streaming (tests use it to prove nothing is left behind). */
  get inFlight(): number {
    return this.running.completion.size + this.running.chat.size;
  }

  /** Aborts every request and stops health checks. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.healthTimer) clearTimeout(this.healthTimer);
    this.healthTimer = null;
    for (const lane of Object.values(this.running)) for (const c of lane) c.abort("cancelled");
    this.slots.clear();
    this.setState({ kind: "stopped" });
  }

  dispose(): void {
    void this.stop();
  }
}

/** The names a served model answers to: its id and llama-server's aliases. */
function namesOf(model: ModelList["data"][number]): string[] {
  return [model.id, ...(model.aliases ?? [])];
}

function templateTexts(template: FimTemplate | null): string[] {
  if (!template) return [];
  return [template.prefix, template.suffix, template.middle, template.fileSeparator, template.repoName].filter(
    (t): t is string => t !== null,
  );
}

function cancelled(reason: unknown): EngineError {
  return reason === "superseded"
    ? new EngineError("superseded", "A newer request replaced this one.")
    : new EngineError("cancelled", "The request was cancelled.");
}
