/**
 * One loaded model with its context, two sequences (completion lane, chat lane) and the engine
 * objects bound to them. Each lane runs one generation at a time; a superseding request aborts the
 * running one first, so fast typing never queues stale work.
 */
import type {
  ChatHistoryItem,
  LlamaChat,
  LlamaCompletion,
  LlamaContext,
  LlamaContextSequence,
  LlamaModel,
  LlamaText,
  Token,
} from "node-llama-cpp" with { "resolution-mode": "import" };
import type {
  GenerateRequestBody,
  GenerationResult,
  LoadOptions,
  ModelInfo,
  PromptSegment,
  Slot,
  SpecialToken,
  StopReason,
} from "../core/engine/types";
import { baseModelChatStops } from "../core/chat/baseModel";
import { LaneCounters } from "../core/engine/laneCounters";
import { WorkerFailure } from "./failure";
import type { Logger } from "../core/util/logger";

type NodeLlamaCpp = typeof import("node-llama-cpp", { with: { "resolution-mode": "import" } });

/** Token texts that mark file separators / repo names in the FIM families we know. */
const FILE_SEPARATOR_TEXTS = ["<|file_sep|>", "<|file_separator|>", "<file_sep>"];
const REPO_NAME_TEXTS = ["<|repo_name|>", "<reponame>"];
/**
 * Turn markers of the chat formats we know. A chat answer stops at any of them that is a special
 * token of the model, whatever the wrapper's own triggers say: node-llama-cpp's Gemma wrapper stops
 * on "<end_of_turn>\n" only, and the real Gemma 3 270M emitted "<end_of_turn><start_of_turn>model"
 * with no newline between, so the next turn's "model" header leaked into the answer.
 */
const TURN_MARKER_TEXTS = [
  "<start_of_turn>",
  "<end_of_turn>",
  "<|im_start|>",
  "<|im_end|>",
  "<|start_header_id|>",
  "<|eot_id|>",
  "<|endoftext|>",
];

type LaneName = "completion" | "chat";

/** Tokens per warm-up batch: a superseding keystroke waits for one (~0.5 s for a 1.5B model on 2 cores). */
const WARM_UP_BATCH = 32;

interface Running {
  id: number;
  controller: AbortController;
}

class Lane {
  private tail: Promise<unknown> = Promise.resolve();
  running: Running | null = null;
  /** Jobs not yet finished; an aborted job leaves at once, so it never counts as waiting. */
  readonly pending = new Map<number, AbortController>();

  constructor(readonly counters: LaneCounters) {}

  /** Runs jobs one after another on this lane. */
  run<T>(id: number, controller: AbortController, job: () => Promise<T>): Promise<T> {
    const counters = this.counters;
    counters.arrived(this.pending.size);
    this.pending.set(id, controller);
    const leave = (): void => {
      if (this.running?.id !== id) this.pending.delete(id);
    };
    controller.signal.addEventListener("abort", leave, { once: true });
    const result = this.tail.then(async () => {
      if (controller.signal.aborted) {
        counters.skip();
        this.pending.delete(id);
        throw abortFailure(controller.signal);
      }
      this.running = { id, controller };
      counters.start();
      try {
        return await job();
      } finally {
        counters.end();
        controller.signal.removeEventListener("abort", leave);
        this.running = null;
        this.pending.delete(id);
      }
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  abortAll(reason: "superseded" | "cancelled"): void {
    for (const controller of [...this.pending.values()]) controller.abort(reason);
  }
}

function abortFailure(signal: AbortSignal): WorkerFailure {
  return signal.reason === "superseded"
    ? new WorkerFailure("superseded", "A newer request replaced this one.")
    : new WorkerFailure("cancelled", "The request was cancelled.");
}

/** The options both node-llama-cpp generation calls take, as the worker sets them. */
interface EngineGenerateOptions {
  maxTokens: number;
  temperature: number;
  signal: AbortSignal;
  stopOnAbortSignal: true;
  customStopTriggers: (string | LlamaText)[] | undefined;
  onToken: (tokens: Token[]) => void;
  onTextChunk: ((text: string) => void) | undefined;
}

export interface GenerateHooks {
  onChunk?: (text: string) => void;
  receivedAt: number;
}

export class LoadedModel {
  refs = 1;
  private readonly lanes: Record<LaneName, Lane>;
  private readonly completion: LlamaCompletion;
  private readonly completionSequence: LlamaContextSequence;
  private readonly chat: LlamaChat;
  private readonly specials: Partial<Record<SpecialToken, Token>>;
  /**
   * Extra stop triggers for chat: the special-token turn markers of this model (TURN_MARKER_TEXTS),
   * and for a model without a chat template (a base model) the plain-text turn headers it writes
   * instead of the tokens (baseModelChatStops).
   */
  private readonly turnStops: (string | LlamaText)[];
  readonly hasChatTemplate: boolean;

  static key(options: LoadOptions): string {
    return JSON.stringify([
      options.modelPath,
      options.contextSize ?? null,
      options.gpuLayers,
      options.batchSize ?? null,
    ]);
  }

  constructor(
    lib: NodeLlamaCpp,
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    readonly options: LoadOptions,
    readonly key: string,
    readonly sizeBytes: number,
    private readonly log: Pick<Logger, "debug">,
    readonly loadMs: number,
    counters: Record<LaneName, LaneCounters>,
  ) {
    this.lanes = { completion: new Lane(counters.completion), chat: new Lane(counters.chat) };
    this.completionSequence = context.getSequence();
    this.completion = new lib.LlamaCompletion({ contextSequence: this.completionSequence });
    this.chat = new lib.LlamaChat({ contextSequence: context.getSequence() });
    this.specials = findSpecialTokens(model);
    this.turnStops = TURN_MARKER_TEXTS.filter((text) => model.tokenize(text, true).length === 1).map((text) =>
      lib.LlamaText(new lib.SpecialTokensText(text)),
    );
    this.hasChatTemplate = typeof model.fileInfo.metadata?.tokenizer?.chat_template === "string";
    if (!this.hasChatTemplate) this.turnStops.push(...baseModelChatStops());
  }

  info(slot: Slot, loadMs: number): ModelInfo {
    const meta = this.model.fileInfo.metadata;
    const specialTokens = Object.fromEntries(
      (["eos", "fimPrefix", "fimSuffix", "fimMiddle", "fileSeparator", "repoName"] as const).map((t) => [
        t,
        this.specials[t] !== undefined,
      ]),
    ) as Record<SpecialToken, boolean>;
    return {
      slot,
      modelPath: this.options.modelPath,
      architecture: meta?.general?.architecture ?? null,
      name: meta?.general?.name ?? null,
      contextSize: this.context.contextSize,
      trainContextSize: this.model.trainContextSize || null,
      gpuLayers: this.model.gpuLayers,
      totalLayers: this.model.fileInsights.totalLayers ?? null,
      sizeBytes: this.sizeBytes,
      specialTokens,
      hasChatTemplate: this.hasChatTemplate,
      loadMs,
    };
  }

  vramBytes(): number {
    return this.model.gpuLayers > 0 ? this.model.size : 0;
  }

  busy(): boolean {
    return this.lanes.completion.running !== null || this.lanes.chat.running !== null;
  }

  /** Aborts a queued or running request by id; true when it was found. */
  cancel(id: number): boolean {
    for (const lane of Object.values(this.lanes)) {
      const controller = lane.pending.get(id);
      if (controller) {
        controller.abort("cancelled");
        return true;
      }
    }
    return false;
  }

  tokenize(text: string): Token[] {
    return this.model.tokenize(text, false);
  }

  generate(id: number, body: GenerateRequestBody, supersede: boolean, hooks: GenerateHooks): Promise<GenerationResult> {
    const laneName: LaneName = body.kind === "chat" ? "chat" : "completion";
    const lane = this.lanes[laneName];
    if (supersede) lane.abortAll("superseded");
    const controller = new AbortController();
    if (body.warmUp && body.kind !== "chat")
      return lane.counters.warmUp(lane.run(id, controller, () => this.runWarmUp(body, controller, hooks)));
    return lane.run(id, controller, () =>
      body.kind === "chat" ? this.runChat(body, controller, hooks) : this.runCompletion(body, controller, hooks),
    );
  }

  /**
   * Evaluates the prompt into the completion sequence without generating, in small batches so a
   * superseding keystroke waits for one batch at most; what was evaluated before an abort stays.
   * The last prompt token is left out: LlamaCompletion always decodes it itself (it needs its logits).
   */
  private async runWarmUp(
    body: Extract<GenerateRequestBody, { kind: "complete" | "segments" }>,
    controller: AbortController,
    hooks: GenerateHooks,
  ): Promise<GenerationResult> {
    const target = this.withBos(this.promptTokens(body)).slice(0, -1);
    const sequence = this.completionSequence;
    await sequence.adaptStateToTokens(target, false);
    const reused = sequence.nextTokenIndex;
    for (let at = reused; at < target.length; at += WARM_UP_BATCH) {
      if (controller.signal.aborted) throw abortFailure(controller.signal);
      await sequence.evaluateWithoutGeneratingNewTokens(target.slice(at, at + WARM_UP_BATCH));
    }
    return {
      text: "",
      stopReason: "warmUp",
      promptTokens: target.length,
      reusedPromptTokens: reused,
      generatedTokens: 0,
      firstTokenMs: null,
      ms: performance.now() - hooks.receivedAt,
    };
  }

  private promptTokens(body: Extract<GenerateRequestBody, { kind: "complete" | "segments" }>): Token[] {
    if (body.kind === "complete") return this.model.tokenize(body.prompt, false);
    const tokens: Token[] = [];
    for (const segment of body.segments) tokens.push(...this.segmentTokens(segment));
    return tokens;
  }

  /** The tokens the completion sequence holds for a prompt: LlamaCompletion prepends BOS when the model wants it. */
  private withBos(input: Token[]): Token[] {
    const bos = this.model.tokens.shouldPrependBosToken ? this.model.tokens.bos : null;
    return bos !== null ? [bos, ...input] : input;
  }

  private segmentTokens(segment: PromptSegment): Token[] {
    if ("text" in segment) return segment.text === "" ? [] : this.model.tokenize(segment.text, false);
    const token = this.specials[segment.special];
    if (token === undefined) {
      const fim = segment.special.startsWith("fim");
      throw new WorkerFailure(
        fim ? "fimUnsupported" : "badRequest",
        fim
          ? `This model has no fill-in-the-middle tokens, so it cannot do inline completion. Choose a code model with FIM support (e.g. Qwen2.5-Coder base).`
          : `This model has no "${segment.special}" token.`,
      );
    }
    return [token];
  }

  private runCompletion(
    body: Extract<GenerateRequestBody, { kind: "complete" | "segments" }>,
    controller: AbortController,
    hooks: GenerateHooks,
  ): Promise<GenerationResult> {
    const input = this.promptTokens(body);
    const fullInput = this.withBos(input);
    const reused = commonPrefixLength(this.completionSequence.contextTokens, fullInput);
    return this.metered(body, controller, hooks, fullInput.length, reused, (options) =>
      this.completion.generateCompletionWithMeta(input, options),
    );
  }

  private runChat(
    body: Extract<GenerateRequestBody, { kind: "chat" }>,
    controller: AbortController,
    hooks: GenerateHooks,
  ): Promise<GenerationResult> {
    const history: ChatHistoryItem[] = body.messages.map((m) =>
      m.role === "system"
        ? { type: "system", text: m.content }
        : m.role === "user"
          ? { type: "user", text: m.content }
          : { type: "model", response: [m.content] },
    );
    history.push({ type: "model", response: [] });
    const rendered = this.chat.chatWrapper
      .generateContextState({ chatHistory: history })
      .contextText.tokenize(this.model.tokenizer);
    const reused = commonPrefixLength(this.chat.sequence.contextTokens, rendered);
    return this.metered(body, controller, hooks, rendered.length, reused, (options) =>
      this.chat.generateResponse(history, {
        ...options,
        customStopTriggers: [...(options.customStopTriggers ?? []), ...this.turnStops],
      }),
    );
  }

  /** Runs one generation with the request's limits, measuring it (both lanes share this). */
  private async metered(
    body: GenerateRequestBody,
    controller: AbortController,
    hooks: GenerateHooks,
    promptTokens: number,
    reused: number,
    run: (options: EngineGenerateOptions) => Promise<{ response: string; metadata: { stopReason: string } }>,
  ): Promise<GenerationResult> {
    const meter = new GenerationMeter(hooks, controller, body.timeBudgetMs);
    try {
      const res = await run({
        maxTokens: body.maxTokens,
        temperature: body.temperature,
        signal: controller.signal,
        stopOnAbortSignal: true,
        customStopTriggers: body.stop,
        onToken: (tokens) => meter.tokens(tokens.length),
        onTextChunk: body.stream ? (text) => hooks.onChunk?.(text) : undefined,
      });
      return meter.finish(res.response, res.metadata.stopReason, promptTokens, reused);
    } finally {
      meter.dispose();
    }
  }

  async dispose(): Promise<void> {
    for (const lane of Object.values(this.lanes)) lane.abortAll("cancelled");
    this.completion.dispose();
    this.chat.dispose();
    await this.context.dispose();
    await this.model.dispose();
    this.log.debug(`unloaded ${this.options.modelPath}`);
  }
}

/** Measures one generation and turns the engine's stop reason into ours. */
class GenerationMeter {
  private generated = 0;
  private firstTokenAt: number | null = null;
  private budgetHit = false;
  private readonly timer: NodeJS.Timeout | undefined;
  /** Tokens generated when the abort signal fired (null while not aborted). */
  private generatedAtAbort: number | null = null;
  private readonly onAbort = (): void => {
    this.generatedAtAbort = this.generated;
  };

  constructor(
    private readonly hooks: GenerateHooks,
    private readonly controller: AbortController,
    timeBudgetMs: number | undefined,
  ) {
    if (controller.signal.aborted) this.generatedAtAbort = 0;
    else controller.signal.addEventListener("abort", this.onAbort, { once: true });
    if (timeBudgetMs !== undefined)
      this.timer = setTimeout(() => {
        this.budgetHit = true;
        controller.abort("timeBudget");
      }, timeBudgetMs);
  }

  tokens(count: number): void {
    if (this.firstTokenAt === null) this.firstTokenAt = performance.now();
    this.generated += count;
  }

  finish(text: string, engineReason: string, promptTokens: number, reused: number): GenerationResult {
    const signal = this.controller.signal;
    if (signal.aborted && signal.reason === "superseded") throw abortFailure(signal);
    let stopReason: StopReason;
    if (engineReason === "abort") stopReason = this.budgetHit ? "timeBudget" : "abort";
    else if (engineReason === "customStopTrigger") stopReason = "stopString";
    else if (engineReason === "maxTokens") stopReason = "maxTokens";
    else stopReason = "eogToken";
    const now = performance.now();
    return {
      text,
      stopReason,
      promptTokens,
      reusedPromptTokens: reused,
      generatedTokens: this.generated,
      firstTokenMs: this.firstTokenAt === null ? null : this.firstTokenAt - this.hooks.receivedAt,
      ms: now - this.hooks.receivedAt,
      ...(this.generatedAtAbort !== null ? { tokensAfterAbort: this.generated - this.generatedAtAbort } : {}),
    };
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.controller.signal.removeEventListener("abort", this.onAbort);
  }
}

function commonPrefixLength(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

function findSpecialTokens(model: LlamaModel): Partial<Record<SpecialToken, Token>> {
  const infill = model.tokens.infill;
  const found: Partial<Record<SpecialToken, Token>> = {};
  if (model.tokens.eos !== null) found.eos = model.tokens.eos;
  if (infill.prefix !== null) found.fimPrefix = infill.prefix;
  if (infill.suffix !== null) found.fimSuffix = infill.suffix;
  if (infill.middle !== null) found.fimMiddle = infill.middle;
  const single = (texts: string[]): Token | undefined => {
    for (const text of texts) {
      const tokens = model.tokenize(text, true);
      if (tokens.length === 1 && model.detokenize(tokens, true) === text) return tokens[0];
    }
    return undefined;
  };
  const fileSeparator = single(FILE_SEPARATOR_TEXTS);
  if (fileSeparator !== undefined) found.fileSeparator = fileSeparator;
  const repoName = single(REPO_NAME_TEXTS);
  if (repoName !== undefined) found.repoName = repoName;
  return found;
}
