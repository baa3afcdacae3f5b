/**
 * The chat's behaviour, free of VS Code: owns the open conversation, the pending context chips and
 * the one running generation; talks to the Engine; persists through HistoryStore; and tells its
 * view (the webview adapter) what changed. The VS Code adapter only forwards messages and gathers
 * editor context.
 */
import type { Disposable, Engine, EngineState } from "../engine/engine";
import { EngineError, isCancellation } from "../engine/engine";
import { Emitter } from "../util/emitter";
import type { ModelInfo } from "../engine/types";
import type { ContextChip, EngineView, TurnView, ViewState } from "../protocol/webviewProtocol";
import { BASE_MODEL_NOTE } from "./baseModel";
import { planPrompt } from "./budget";
import { createConversation, reduceConversation, type ConversationAction } from "./conversation";
import { HistoryStore, type KeyValueStore } from "./historyStore";
import { truncateMiddle } from "./promptFormat";
import type { ChatSettings } from "./settings";
import { TokenCounter } from "./tokenCounter";
import type { AnswerStatus, ContextInput, ContextItem, Conversation, Turn } from "./types";
import type { Logger } from "../util/logger";

/** What the chat needs from the engine. */
export type ChatEngine = Pick<Engine, "generate" | "countTokens" | "modelInfo" | "state" | "onDidChangeState">;

export interface ChatControllerDeps {
  engine: ChatEngine;
  /** Where history lives (the extension passes `context.workspaceState`). */
  store: KeyValueStore;
  settings: () => ChatSettings;
  log: Pick<Logger, "info" | "warn" | "error">;
  /**
   * Loads the configured chat model (resolves at once when it is loaded). Called before each
   * prompt is planned, so the plan counts with the model's tokenizer and fits its real context
   * window instead of a guess; a rejection fails the answer with its message.
   */
  ensureModel?: (signal: AbortSignal) => Promise<unknown>;
  /** Where the chat model runs: null on this machine, else the remote server's URL. */
  runsOn?: () => string | null;
  newId?: () => string;
  now?: () => number;
  /** How often a streaming answer is saved (ms), so a reload loses at most this much. */
  saveIntervalMs?: number;
  maxConversations?: number;
}

export type ChatEvent =
  | { kind: "state" }
  | { kind: "chunk"; conversationId: string; turnId: string; text: string }
  | { kind: "notice"; level: "info" | "warning" | "error"; message: string };

/** A request from another command (e.g. "Summarize Selection") to start a fresh exchange. */
export interface ExchangeRequest {
  /** Title of the new conversation. */
  title?: string;
  /** The prompt sent to the model. */
  prompt: string;
  /** What the question bubble shows instead of the prompt (defaults to the prompt). */
  display?: string;
  context?: ContextInput[];
}

export interface ChatAnswer {
  text: string;
  status: AnswerStatus;
  error: string | null;
}

/** Used to budget when no chat model is loaded (without `ensureModel`; the request then fails with a clear error). */
export const DEFAULT_CONTEXT_SIZE = 4096;
/** Attachments are cut to this many characters when attached (whole generated files, logs...). */
export const MAX_CONTEXT_CHARS = 200_000;
export const MAX_PENDING_CONTEXT = 20;
/** How long a new request waits for a stopped one to release the engine. */
const STOP_WAIT_MS = 3000;

interface ActiveGeneration {
  conversationId: string;
  turnId: string;
  abort: AbortController;
  /** What the caller gets when it settles; its status is fixed by whoever ends it first. */
  result: ChatAnswer;
  done: Promise<ChatAnswer>;
}

export class ChatController implements Disposable {
  private conversation: Conversation;
  private pending: ContextItem[] = [];
  private active: ActiveGeneration | null = null;
  private readonly changed = new Emitter<ChatEvent>((error) =>
    this.deps.log.error(`chat: listener failed: ${describeError(error)}`),
  );
  private readonly history: HistoryStore;
  private readonly counter: TokenCounter;
  private readonly engineSubscription: Disposable;
  private readonly newId: () => string;
  private readonly now: () => number;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private chatModelPath: string | null;
  private disposed = false;

  constructor(private readonly deps: ChatControllerDeps) {
    this.newId = deps.newId ?? (() => globalThis.crypto.randomUUID());
    this.now = deps.now ?? Date.now;
    this.history = new HistoryStore(deps.store, { log: deps.log, maxConversations: deps.maxConversations });
    const currentId = this.history.currentId();
    const restored = currentId ? this.history.load(currentId) : undefined;
    this.conversation = restored ?? createConversation(this.newId(), this.now());
    if (restored) {
      // load() marks an answer cut off by a reload as interrupted; keep that on disk too.
      void this.history.save(restored);
    }
    this.chatModelPath = deps.engine.modelInfo("chat")?.modelPath ?? null;
    this.counter = new TokenCounter(() =>
      this.deps.engine.modelInfo("chat") ? (text) => this.deps.engine.countTokens("chat", text) : null,
    );
    this.engineSubscription = deps.engine.onDidChangeState(() => this.onEngineState());
  }

  /** Listen to changes; "state" means: re-read `viewState`. */
  onDidChange(listener: (event: ChatEvent) => void): Disposable {
    return this.changed.on(listener);
  }

  get busy(): boolean {
    return this.active !== null;
  }

  /** The open conversation (immutable snapshot). */
  get current(): Conversation {
    return this.conversation;
  }

  get pendingContext(): readonly ContextItem[] {
    return this.pending;
  }

  /** Everything the webview shows, as one serialisable object. */
  get viewState(): ViewState {
    return {
      conversation: {
        id: this.conversation.id,
        title: this.conversation.title,
        turns: this.conversation.turns.map(toTurnView),
      },
      pendingContext: this.pending.map(toChip),
      history: this.history.list(),
      busy: this.busy,
      engine: engineView(this.deps.engine.state, this.deps.engine.modelInfo("chat"), this.deps.runsOn?.() ?? null),
    };
  }

  /** Ask a question in the open conversation, with the pending context chips attached. */
  async ask(text: string, display: string | null = null): Promise<ChatAnswer> {
    await this.stopActive();
    const context = this.pending;
    this.pending = [];
    return this.begin(text, display, context);
  }

  /**
   * Start a new conversation with the given prompt and context (for commands such as
   * "Summarize Selection"). Resolves with the final answer, whatever its status; never rejects.
   */
  async startExchange(request: ExchangeRequest): Promise<ChatAnswer> {
    await this.stopActive();
    this.conversation = createConversation(this.newId(), this.now(), request.title);
    const context: ContextItem[] = [];
    for (const input of request.context ?? []) {
      context.push(await this.makeContextItem(input));
    }
    return this.begin(request.prompt, request.display ?? null, context);
  }

  /** Answer the last question again. Undefined when there is nothing to regenerate or it is busy. */
  async regenerate(): Promise<ChatAnswer | undefined> {
    const last = this.conversation.turns[this.conversation.turns.length - 1];
    if (this.active || !last) {
      return undefined;
    }
    this.apply({ type: "regenerate", at: this.now() });
    return this.answer(last.id);
  }

  /** Replace the last question and answer it again. */
  async editLast(text: string): Promise<ChatAnswer | undefined> {
    const last = this.conversation.turns[this.conversation.turns.length - 1];
    if (this.active || !last) {
      return undefined;
    }
    this.apply({ type: "editLast", text, at: this.now() });
    return this.answer(last.id);
  }

  /** Stop the running answer (keeps what was written, marked stopped). */
  stop(): void {
    const active = this.active;
    if (!active) {
      return;
    }
    this.active = null;
    markSettled(active.result, "stopped", null);
    active.abort.abort();
    this.apply({ type: "stop", turnId: active.turnId, at: this.now() });
  }

  newChat(title?: string): void {
    this.stop();
    if (this.conversation.turns.length > 0 || title !== undefined) {
      this.conversation = createConversation(this.newId(), this.now(), title);
    }
    void this.history.setCurrentId(this.conversation.id);
    this.emit({ kind: "state" });
  }

  open(id: string): boolean {
    if (id === this.conversation.id) {
      return true;
    }
    const loaded = this.history.load(id);
    if (!loaded) {
      this.emit({
        kind: "notice",
        level: "warning",
        message: "That conversation could not be opened; it may have been deleted.",
      });
      this.emit({ kind: "state" });
      return false;
    }
    this.stop();
    this.conversation = loaded;
    void this.history.setCurrentId(id);
    this.emit({ kind: "state" });
    return true;
  }

  async delete(id: string): Promise<void> {
    if (id === this.conversation.id) {
      this.stop();
      this.conversation = createConversation(this.newId(), this.now());
    }
    await this.history.delete(id);
    await this.history.setCurrentId(this.conversation.id);
    this.emit({ kind: "state" });
  }

  async rename(id: string, title: string): Promise<void> {
    if (id === this.conversation.id) {
      this.apply({ type: "rename", title, at: this.now() });
    } else {
      const loaded = this.history.load(id);
      if (loaded) {
        await this.history.save(reduceConversation(loaded, { type: "rename", title, at: this.now() }));
      }
      this.emit({ kind: "state" });
    }
  }

  /** Attach context to the next question (shown as a chip with its token cost). */
  async addContext(input: ContextInput): Promise<ContextItem> {
    const item = await this.makeContextItem(input);
    const duplicate = this.pending.find(
      (p) => p.kind === item.kind && p.label === item.label && p.content === item.content,
    );
    if (duplicate) {
      return duplicate;
    }
    this.pending = [...this.pending, item].slice(-MAX_PENDING_CONTEXT);
    this.emit({ kind: "state" });
    return item;
  }

  removeContext(id: string): void {
    const next = this.pending.filter((item) => item.id !== id);
    if (next.length !== this.pending.length) {
      this.pending = next;
      this.emit({ kind: "state" });
    }
  }

  /** Resolves when the running answer (if any) has settled and history writes are done. */
  async idle(): Promise<void> {
    await this.active?.done;
    await this.history.flush();
  }

  /** Stops a running answer (marked interrupted, kept) and saves. */
  dispose(): void {
    if (this.disposed) {
      return;
    }
    const active = this.active;
    if (active) {
      this.active = null;
      const reason = "The extension was shut down while the answer was being written.";
      markSettled(active.result, "interrupted", reason);
      this.apply({ type: "interrupt", turnId: active.turnId, reason, at: this.now() });
      active.abort.abort();
    }
    this.disposed = true;
    clearTimeout(this.saveTimer);
    void this.history.save(this.conversation);
    this.engineSubscription.dispose();
    this.changed.dispose();
  }

  private async makeContextItem(input: ContextInput): Promise<ContextItem> {
    const tooLong = input.content.length > MAX_CONTEXT_CHARS;
    const content = tooLong ? truncateMiddle(input.content, MAX_CONTEXT_CHARS) : input.content;
    const { tokens, approximate } = await this.counter.count(content);
    return {
      id: this.newId(),
      kind: input.kind,
      label: (tooLong ? `${input.label} (shortened)` : input.label).slice(0, 500),
      path: input.path ?? null,
      languageId: input.languageId ?? null,
      range: input.range ?? null,
      content,
      tokens,
      approximate,
    };
  }

  /** Stop the running answer and wait (briefly) for the engine to let go of it. */
  private async stopActive(): Promise<void> {
    const active = this.active;
    if (active) {
      this.stop();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([active.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)))]);
      clearTimeout(timer);
    }
  }

  private begin(text: string, display: string | null, context: ContextItem[]): Promise<ChatAnswer> {
    const turnId = this.newId();
    this.apply({ type: "ask", turnId, text, display, context, at: this.now() });
    void this.history.setCurrentId(this.conversation.id);
    return this.answer(turnId);
  }

  /** Generate the answer of `turnId` (whose answer the reducer has just set to streaming). */
  private answer(turnId: string): Promise<ChatAnswer> {
    const conversationId = this.conversation.id;
    const abort = new AbortController();
    const result: ChatAnswer = { text: "", status: "streaming", error: null };
    const isCurrent = () =>
      this.active?.turnId === turnId && this.active.conversationId === conversationId && !abort.signal.aborted;
    const settle = async (action: ConversationAction, status: AnswerStatus, error: string | null = null) => {
      markSettled(result, status, error);
      if (this.active?.turnId === turnId && this.active.conversationId === conversationId) {
        this.active = null;
      }
      if (this.conversation.id === conversationId) {
        await this.apply(action, true);
      }
    };

    const run = async (): Promise<ChatAnswer> => {
      try {
        const index = this.conversation.turns.findIndex((turn) => turn.id === turnId);
        const turn = this.conversation.turns[index];
        if (!turn) {
          return { ...result, status: "error", error: "The question is no longer there." };
        }
        await this.deps.ensureModel?.(abort.signal);
        if (!isCurrent()) {
          await settle({ type: "stop", turnId, at: this.now() }, "stopped");
          return result;
        }
        const settings = this.deps.settings();
        const model = this.deps.engine.modelInfo("chat");
        const plan = await planPrompt({
          systemPrompt: settings.systemPrompt,
          history: this.conversation.turns.slice(0, index),
          question: { text: turn.question.text, context: turn.question.context },
          contextSize: model?.contextSize ?? DEFAULT_CONTEXT_SIZE,
          maxTokens: settings.maxTokens,
          count: this.counter.countTokens,
        });
        if (!isCurrent()) {
          await settle({ type: "stop", turnId, at: this.now() }, "stopped");
          return result;
        }
        // A model without a chat template is a base model: say so on the answer, before it wanders.
        for (const note of model?.hasChatTemplate === false ? [...plan.notes, BASE_MODEL_NOTE] : plan.notes) {
          this.apply({ type: "addNote", turnId, note, at: this.now() });
        }
        const generation = await this.deps.engine.generate(
          "chat",
          { kind: "chat", messages: plan.messages, maxTokens: plan.maxTokens, temperature: settings.temperature },
          {
            signal: abort.signal,
            onChunk: (text) => {
              if (isCurrent()) {
                result.text += text;
                this.chunk(conversationId, turnId, text);
              }
            },
          },
        );
        if (isCurrent() && generation.text.length > result.text.length && generation.text.startsWith(result.text)) {
          // The engine did not stream (or the last chunk raced the result): add what is missing.
          const rest = generation.text.slice(result.text.length);
          result.text += rest;
          this.chunk(conversationId, turnId, rest);
        }
        if (generation.stopReason === "abort" || abort.signal.aborted) {
          await settle({ type: "stop", turnId, at: this.now() }, "stopped");
        } else {
          await settle({ type: "complete", turnId, at: this.now() }, "complete");
        }
      } catch (error) {
        if (abort.signal.aborted || isCancellation(error)) {
          await settle({ type: "stop", turnId, at: this.now() }, "stopped");
        } else if (error instanceof EngineError && error.code === "workerCrashed") {
          this.deps.log.warn(`chat: the model worker stopped mid-answer: ${error.message}`);
          const reason = `The model worker stopped while answering (${error.message}).`;
          await settle({ type: "interrupt", turnId, reason, at: this.now() }, "interrupted", reason);
        } else {
          const message = describeError(error);
          this.deps.log.error(`chat: generation failed: ${message}`);
          await settle({ type: "fail", turnId, error: message, at: this.now() }, "error", message);
        }
      }
      return result;
    };

    let resolveDone!: (answer: ChatAnswer) => void;
    const done = new Promise<ChatAnswer>((resolve) => (resolveDone = resolve));
    this.active = { conversationId, turnId, abort, result, done };
    this.emit({ kind: "state" });
    void run().then(
      (answer) => resolveDone(answer),
      (error: unknown) => {
        this.deps.log.error(`chat: unexpected failure: ${describeError(error)}`);
        resolveDone({ ...result, status: "error", error: describeError(error) });
      },
    );
    return done;
  }

  private chunk(conversationId: string, turnId: string, text: string): void {
    if (this.conversation.id !== conversationId || text.length === 0) {
      return;
    }
    this.conversation = reduceConversation(this.conversation, { type: "chunk", turnId, text, at: this.now() });
    this.emit({ kind: "chunk", conversationId, turnId, text });
    this.scheduleSave();
  }

  /**
   * Reduce, save and tell the view. With `savedFirst` (an answer's end) the view hears of it only
   * once the store took it: a window reloaded the moment "complete" shows must not find the answer
   * still streaming in the history (seen in code-server under load).
   */
  private apply(action: ConversationAction, savedFirst = false): Promise<void> {
    const next = reduceConversation(this.conversation, action);
    if (next === this.conversation) {
      return Promise.resolve();
    }
    this.conversation = next;
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const saved = this.disposed ? Promise.resolve() : this.history.save(next);
    if (!savedFirst) {
      this.emit({ kind: "state" });
      return Promise.resolve();
    }
    return saved.then(
      () => this.emit({ kind: "state" }),
      (error: unknown) => {
        this.deps.log.warn(`chat: saving the conversation failed: ${describeError(error)}`);
        this.emit({ kind: "state" });
      },
    );
  }

  private scheduleSave(): void {
    if (this.saveTimer !== undefined || this.disposed) {
      return;
    }
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.history.save(this.conversation);
    }, this.deps.saveIntervalMs ?? 1000);
  }

  private onEngineState(): void {
    const path = this.deps.engine.modelInfo("chat")?.modelPath ?? null;
    if (path !== this.chatModelPath) {
      this.chatModelPath = path;
      this.counter.clear();
    }
    this.emit({ kind: "state" });
  }

  private emit(event: ChatEvent): void {
    this.changed.fire(event);
  }
}

function markSettled(result: ChatAnswer, status: AnswerStatus, error: string | null): void {
  if (result.status === "streaming") {
    result.status = status;
    result.error = error;
  }
}

function describeError(error: unknown): string {
  if (error instanceof EngineError) {
    switch (error.code) {
      case "noModelLoaded":
        return "No chat model is loaded. Load a model for chat, then press Regenerate.";
      case "modelNotFound":
      case "modelUnreadable":
      case "modelInvalid":
      case "modelLoadFailed":
        return `The chat model could not be used: ${error.message}`;
      default:
        return error.message;
    }
  }
  return error instanceof Error ? error.message : String(error);
}

export function toChip(item: ContextItem): ContextChip {
  return {
    id: item.id,
    kind: item.kind,
    label: item.label,
    detail: item.path,
    tokens: item.tokens,
    approximate: item.approximate,
  };
}

export function toTurnView(turn: Turn): TurnView {
  return {
    id: turn.id,
    question: { text: turn.question.text, display: turn.question.display, context: turn.question.context.map(toChip) },
    answer: turn.answer ? { text: turn.answer.text, status: turn.answer.status, error: turn.answer.error } : null,
    notes: turn.notes,
  };
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

export function engineView(state: EngineState, model: ModelInfo | null, runsOn: string | null = null): EngineView {
  const base = {
    runsOn,
    model: model ? (model.name ?? baseName(model.modelPath)) : null,
    contextSize: model?.contextSize ?? null,
  };
  switch (state.kind) {
    case "ready":
      return { ...base, state: "ready", detail: model ? null : "No chat model is loaded." };
    case "stopped":
      return { ...base, state: "stopped", detail: "The model worker is not running." };
    case "starting":
      return { ...base, state: "starting", detail: "Starting the model worker…" };
    case "loading":
      return {
        ...base,
        state: "loading",
        detail: state.slot === "chat" ? `Loading ${baseName(state.modelPath)}…` : `Loading the ${state.slot} model…`,
      };
    case "crashed":
      return {
        ...base,
        state: "crashed",
        detail: `The model worker stopped (${state.reason}); restarting in ${Math.max(1, Math.ceil(state.restartInMs / 1000))} s.`,
      };
    case "failed":
      return { ...base, state: "failed", detail: `The model worker failed: ${state.reason}` };
    case "unreachable":
      // Remote backend: shown like a worker restart (a warning that clears by itself).
      return { ...base, state: "crashed", detail: state.reason };
  }
}
