/**
 * VS Code's ghost text, fed by the pure completion pipeline. This adapter only turns editor state
 * into a DocumentSnapshot, the CancellationToken into an AbortSignal, and results into items;
 * scheduling, caching, prompting and post-processing live in src/core/completion.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import type { Engine } from "../../core/engine/engine";
import type { ModelInfo } from "../../core/engine/types";
import {
  AdaptiveDebounce,
  CompletionCache,
  PromptThroughput,
  resolvePromptTokens,
  CompletionStats,
  WarmUpPlanner,
  afterEnter,
  reasonInWords,
  stepKind,
  CompletionScheduler,
  cachedCompletion,
  completionPipeline,
  planSpeculation,
  systemClock,
  type CompletionSettings,
  type ContextChunk,
  type DefinitionSnippet,
  type DocumentSnapshot,
  type ExtraContextRing,
  type GhostText,
  type PipelineResult,
  type PromptBudget,
  type StepPlace,
  type WarmUpTarget,
} from "../../core/completion";
import type { ModelManager } from "../../core/runtime/modelManager";
import type { Logger } from "../../core/util/logger";

/** Document schemes that hold user code (not output panes, diffs of git objects, settings...). */
const CODE_SCHEMES = new Set(["file", "untitled", "vscode-remote", "vscode-vfs"]);

export interface CompletionActivity {
  generating: boolean;
  lastLatencyMs: number | null;
  /** A problem to show in the status bar (never as a popup while typing). */
  problem: string | null;
  /** Why the last request showed what it showed (or nothing), in words. */
  lastReason: string | null;
}

/** Context beyond the ring (src/vscode/context, ./definitionLookup). */
export interface CompletionContextSources {
  /** localCode.context.exclude, by workspace-relative path: those chunks never reach a prompt. */
  exclude?: (path: string) => boolean;
  /** The definitions last looked up for a document (DefinitionLookup.definitionsFor). */
  definitions?: (uri: string) => readonly DefinitionSnippet[];
}

export class InlineCompletionProvider implements vscode.InlineCompletionItemProvider, vscode.Disposable {
  private readonly cache = new CompletionCache();
  private debounce: AdaptiveDebounce;
  private readonly scheduler: CompletionScheduler;
  private readonly activityEmitter = new vscode.EventEmitter<CompletionActivity>();
  readonly onDidChangeActivity = this.activityEmitter.event;
  private readonly answeredEmitter = new vscode.EventEmitter<{
    document: vscode.TextDocument;
    position: vscode.Position;
  }>();
  /** A request was answered (from the model or the cache) at this place (the after-Enter warm-up listens). */
  readonly onDidAnswer = this.answeredEmitter.event;
  private activity: CompletionActivity = { generating: false, lastLatencyMs: null, problem: null, lastReason: null };
  /** Statistics since the window opened (Local Code: Completion Statistics); never sent anywhere. */
  readonly stats = new CompletionStats();
  /** When the prompt of a new place is evaluated ahead (see registerCompletionWarmUp). */
  readonly warmUps = new WarmUpPlanner();
  /** The loaded model's prompt speed, measured from its requests, for `promptTokens: "auto"`. */
  private readonly throughput = new PromptThroughput();
  /** Where the last request was made, to tell typing from a new line or a new place. */
  private lastPlace: StepPlace | null = null;
  private readonly loggedErrors = new Set<string>();
  private lastContext: readonly ContextChunk[] | null = null;
  /** The suggestion last shown, for speculation after it is accepted. */
  private shown: { uri: string; prefix: string; suffix: string; snapshot: DocumentSnapshot; ghost: GhostText } | null =
    null;

  constructor(
    private readonly engine: Engine,
    private readonly models: ModelManager,
    private readonly settings: () => CompletionSettings,
    private readonly ring: ExtraContextRing,
    private readonly log: Pick<Logger, "info" | "warn" | "debug">,
    private readonly context: CompletionContextSources = {},
  ) {
    const s = settings();
    this.debounce = new AdaptiveDebounce({ baseMs: s.debounceMs, adaptive: s.adaptiveDebounce });
    // Delegates to the current debounce, so a settings change takes effect without a new scheduler.
    this.scheduler = new CompletionScheduler(systemClock, {
      recordKeystroke: (at) => this.debounce.recordKeystroke(at),
      delayMs: () => this.debounce.delayMs(),
    });
  }

  get currentActivity(): CompletionActivity {
    return this.activity;
  }

  private setActivity(change: Partial<CompletionActivity>): void {
    this.activity = { ...this.activity, ...change };
    this.activityEmitter.fire(this.activity);
  }

  /** Settings changed: a new debounce base, and cached results may no longer apply. */
  settingsChanged(): void {
    const s = this.settings();
    this.debounce = new AdaptiveDebounce({ baseMs: s.debounceMs, adaptive: s.adaptiveDebounce });
    this.cache.clear();
    this.logPromptBudget();
  }

  /** The model changed or restarted: cached suggestions came from another model. */
  modelChanged(): void {
    this.cache.clear();
    this.throughput.reset();
    this.scheduler.cancelAll();
  }

  /** Another backend (or server, or API key): the last problem was the old one's. */
  backendChanged(): void {
    this.modelChanged();
    this.loggedErrors.clear();
    if (this.activity.problem !== null) this.setActivity({ problem: null });
  }

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    if (!CODE_SCHEMES.has(document.uri.scheme)) return undefined;
    const manual = context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke;
    const settings = this.settings();
    if (!manual && !settings.enabled) return undefined;

    const model = this.engine.modelInfo("completion") ?? (await this.loadModel(manual));
    if (!model) this.setLastReason(reasonInWords("modelLoading"));
    if (!model || token.isCancellationRequested) return undefined;

    const snapshot = this.snapshot(document, position);
    const place: StepPlace = { uri: document.uri.toString(), line: position.line };
    const kind = stepKind(this.lastPlace, place);
    const controller = new AbortController();
    const subscription = token.onCancellationRequested(() => controller.abort());
    try {
      // A cache hit costs no model call, so it does not wait out the debounce.
      let result = cachedCompletion({ document: snapshot, settings, cache: this.cache, manual });
      if (!result) {
        const outcome = await this.scheduler.schedule(
          (signal) => {
            this.lastPlace = place;
            this.warmUps.requested(place);
            this.setActivity({ generating: true });
            return this.run(snapshot, settings, model, manual, signal).finally(() =>
              this.setActivity({ generating: false }),
            );
          },
          { manual, signal: controller.signal },
        );
        if (outcome.kind === "superseded") this.stats.superseded();
        if (outcome.kind !== "done") return undefined;
        result = outcome.value;
        this.stats.record(kind, result);
      } else this.stats.record(kind, result);
      this.report(result);
      this.answeredEmitter.fire({ document, position });
      const ghost = result.ghost;
      if (!ghost || token.isCancellationRequested) return undefined;
      const split = this.halves(document, position);
      this.shown = { uri: document.uri.toString(), ...split, snapshot, ghost };
      const range = new vscode.Range(position, position.translate(0, ghost.replaceRight));
      const item = new vscode.InlineCompletionItem(ghost.text, range);
      item.command = { command: "localCode.completionAccepted", title: "", arguments: [document.uri.toString()] };
      return [item];
    } finally {
      subscription.dispose();
    }
  }

  private async loadModel(manual: boolean): Promise<ReturnType<Engine["modelInfo"]>> {
    const loading = this.models.ensureLoaded("completion").catch((error: Error) => {
      this.setActivity({ problem: error.message });
      return null;
    });
    // Typing must not wait for a model load; an explicit Alt+\ may.
    return manual ? loading : null;
  }

  private run(
    snapshot: DocumentSnapshot,
    settings: CompletionSettings,
    model: ModelInfo,
    manual: boolean,
    signal: AbortSignal,
    warmUp = false,
  ): Promise<PipelineResult> {
    return completionPipeline({
      document: snapshot,
      settings,
      model: { specialTokens: model.specialTokens, contextSize: model.contextSize },
      generate: (slot, body, options) => this.engine.generate(slot, body, options),
      extraContext: this.ring.chunks,
      exclude: this.context.exclude,
      definitions: this.context.definitions?.(snapshot.uri),
      cache: this.cache,
      repoName: vscode.workspace.workspaceFolders?.[0]?.name,
      manual,
      signal,
      warmUp,
      promptTokensPerSecond: this.throughput.tokensPerSecond(model.modelPath),
    }).then((result) => this.measured(model.modelPath, result));
  }

  private measured(modelPath: string, result: PipelineResult): PipelineResult {
    if (!modelPath) return result;
    this.throughput.observe(modelPath, result.generation);
    this.logPromptBudget();
    return result;
  }

  private loggedBudget = "";

  /** With auto, says in the log what the window is whenever that changes (where a user asks "why so little context?"). */
  private logPromptBudget(): void {
    if (this.settings().promptTokens !== "auto") return;
    const why = this.promptBudget().why;
    if (why === this.loggedBudget) return;
    this.loggedBudget = why;
    this.log.info(`Inline completion prompt window: ${why}`);
  }

  /** The prompt window inline completion uses now, and why (the hardware report shows it). */
  promptBudget(): PromptBudget & { samples: number } {
    const s = this.settings();
    const info = this.engine.modelInfo("completion");
    const modelPath = info?.modelPath ?? "";
    return {
      ...resolvePromptTokens(s.promptTokens, this.throughput.tokensPerSecond(modelPath), s.extraContextTokens, {
        contextSize: info?.contextSize,
      }),
      samples: this.throughput.samples(modelPath),
    };
  }

  /** The chunks from other files in the last completion prompt, a warm-up's too (ring, then definitions); for tests and logs. */
  get lastPromptContext(): readonly ContextChunk[] | null {
    return this.lastContext;
  }

  private setLastReason(words: string): void {
    if (this.activity.lastReason !== words) this.setActivity({ lastReason: words });
  }

  private report(result: PipelineResult): void {
    if (result.context) this.lastContext = result.context;
    const ms = result.timings.totalMs;
    const g = result.generation;
    const tokens = g ? `, ${g.promptTokens - g.reusedPromptTokens} of ${g.promptTokens} prompt tokens evaluated` : "";
    const words = reasonInWords(result.reason, result.detail);
    this.log.debug(`completion: ${result.reason} in ${ms.toFixed(0)} ms${tokens}: ${words}`);
    this.setLastReason(words);
    if (result.reason === "ok" || result.reason === "cache" || result.reason === "typedAhead")
      this.setActivity({ lastLatencyMs: ms, problem: null });
    if (result.reason === "fimUnsupported" || result.reason === "error") {
      const message = result.detail ?? "Inline completion failed.";
      this.setActivity({ problem: message });
      // Each distinct problem is logged once; never a popup while the user types.
      if (!this.loggedErrors.has(message)) {
        this.loggedErrors.add(message);
        this.log.warn(`Inline completion: ${message}`);
      }
    }
  }

  /**
   * Evaluates a prompt without generating (the planner said the user paused): the cursor's place,
   * or with target "afterEnter" the document as it will be after Enter at the end of this line.
   * Runs through the scheduler, so the next keystroke supersedes it at once.
   */
  async warmUp(
    document: vscode.TextDocument,
    position: vscode.Position,
    target: WarmUpTarget = "place",
  ): Promise<PipelineResult | null> {
    const model = this.engine.modelInfo("completion");
    const settings = this.settings();
    if (!model || !CODE_SCHEMES.has(document.uri.scheme)) return null;
    const here = this.snapshot(document, position);
    const snapshot = target === "afterEnter" ? afterEnter(here) : here;
    if (!snapshot) return null;
    // The ring would be promoted at the next idle tick anyway; doing it now keeps the warmed prompt's start.
    this.ring.promote();
    const outcome = await this.scheduler.schedule(
      (signal) => {
        // After Enter the next request is still a new line below this place (its kind in the statistics).
        this.lastPlace = { uri: document.uri.toString(), line: position.line };
        return this.run(snapshot, settings, model, false, signal, true);
      },
      { manual: true },
    );
    const what = target === "afterEnter" ? "completion warm-up after Enter" : "completion warm-up";
    if (outcome.kind !== "done") {
      this.log.debug(`${what}: ${outcome.kind}`);
      return null;
    }
    const g = outcome.value.generation;
    this.log.debug(
      `${what}: ${outcome.value.reason} in ${outcome.value.timings.totalMs.toFixed(0)} ms${g ? `, ${g.promptTokens - g.reusedPromptTokens} prompt tokens evaluated` : ""}`,
    );
    if (outcome.value.context) this.lastContext = outcome.value.context;
    this.stats.record("warmUp", outcome.value);
    return outcome.value;
  }

  get modelLoaded(): boolean {
    return this.engine.modelInfo("completion") !== null;
  }

  /** A request waits or runs (a warm-up must not replace it). */
  get busy(): boolean {
    return this.scheduler.busy;
  }

  /** After an accept, pre-compute the suggestion that follows (any keystroke supersedes it). */
  async accepted(uri: string): Promise<void> {
    this.stats.recordAccepted();
    const shown = this.shown;
    const settings = this.settings();
    const model = this.engine.modelInfo("completion");
    if (!shown || shown.uri !== uri || !model) return;
    const plan = planSpeculation({
      enabled: settings.speculative,
      engineBusy: this.scheduler.busy,
      prefix: shown.prefix,
      suffix: shown.suffix,
      ghost: shown.ghost,
      cache: this.cache,
    });
    if (!plan.run) return;
    const next: DocumentSnapshot = { ...shown.snapshot, prefix: plan.prefix, suffix: plan.suffix };
    const outcome = await this.scheduler.schedule((signal) => this.run(next, settings, model, false, signal), {});
    if (outcome.kind === "done") this.log.debug(`speculative completion: ${outcome.value.reason}`);
  }

  private halves(document: vscode.TextDocument, position: vscode.Position): { prefix: string; suffix: string } {
    const offset = document.offsetAt(position);
    const text = document.getText();
    return { prefix: text.slice(0, offset), suffix: text.slice(offset) };
  }

  private snapshot(document: vscode.TextDocument, position: vscode.Position): DocumentSnapshot {
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === document);
    const tabSize = typeof editor?.options.tabSize === "number" ? editor.options.tabSize : 4;
    const indentSize = typeof editor?.options.indentSize === "number" ? editor.options.indentSize : tabSize;
    const folder = vscode.workspace.getWorkspaceFolder(document.uri);
    return {
      uri: document.uri.toString(),
      path: folder
        ? path.posix.normalize(vscode.workspace.asRelativePath(document.uri, false))
        : path.basename(document.uri.path),
      languageId: document.languageId,
      eol: document.eol === vscode.EndOfLine.CRLF ? "\r\n" : "\n",
      indent: { useTabs: editor ? editor.options.insertSpaces === false : false, size: indentSize },
      ...this.halves(document, position),
    };
  }

  dispose(): void {
    this.scheduler.dispose();
    this.activityEmitter.dispose();
    this.answeredEmitter.dispose();
  }
}
