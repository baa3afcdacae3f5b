/**
 * "Summarize Selection" and "Explain Selection": a thin adapter. It reads the selection (or the
 * whole file, and says so), makes sure a chat model is ready (or offers to pick one), shows a
 * cancellable progress notification while long input is summarised in parts, and starts the
 * final exchange in the chat view, which streams the answer and keeps it for follow-up questions.
 * The logic lives in src/core/summarize.
 */
import * as vscode from "vscode";
import type { ChatAnswer } from "../../core/chat/chatController";
import type { ChatSettings } from "../../core/chat/settings";
import { readChatSettings } from "../chat/chatViewProvider";
import { EngineError, isCancellation, type Engine } from "../../core/engine/engine";
import { remoteActions, showRemoteFailure } from "../remote/remoteNotice";
import type { ModelInfo } from "../../core/engine/types";
import {
  DEFAULT_MAX_PARTS,
  planSummary,
  runSummaryPlan,
  SummaryError,
  type PreparedSummary,
  type SummaryExchange,
  type SummaryGenerateFn,
  type SummaryProgress,
  type SummarySource,
  type SummaryTask,
} from "../../core/summarize/mapReduce";
import { spanLabel } from "../../core/summarize/prompts";
import type { TokenCountFn } from "../../core/summarize/chunker";
import type { Logger } from "../../core/util/logger";

export const SUMMARIZE_COMMANDS = {
  summarizeSelection: "localCode.summarizeSelection",
  explainSelection: "localCode.explainSelection",
} as const;

/** Registered elsewhere (model picker / downloader); offered when no chat model is ready. */
export const SELECT_MODEL_COMMAND = "localCode.selectModel";

/** Where the answer goes: the chat view's `startExchange` (ChatViewProvider satisfies this). */
export interface ChatSink {
  startExchange(request: SummaryExchange): Promise<ChatAnswer>;
}

/** The extension's LogOutputChannel satisfies this (`show` opens it from the error's "Show Log"). */
type SummarizeLog = Pick<Logger, "info" | "warn" | "error"> & { show?(preserveFocus?: boolean): void };

export type SummarizeEngine = Pick<Engine, "generate" | "countTokens">;

export interface SummarizeCommandsOptions {
  /** Chat settings (system prompt, answer length, temperature); defaults to `localCode.chat.*`. */
  chatSettings?: () => ChatSettings;
  maxParts?: number;
}

export type SummaryOutcome =
  | { status: "answered"; answer: ChatAnswer; prepared: PreparedSummary }
  | { status: "cancelled" | "noEditor" | "noModel" | "nothingToDo" | "failed"; message?: string };

/** The primary selection, or the whole document when nothing (or only blanks) is selected. */
export function editorSource(editor: vscode.TextEditor, task: SummaryTask): SummarySource {
  const document = editor.document;
  const path = document.isUntitled
    ? document.uri.path.split("/").pop() || "Untitled"
    : vscode.workspace.asRelativePath(document.uri, false);
  const selection = editor.selection;
  const selected = selection.isEmpty ? "" : document.getText(selection);
  if (selected.trim().length > 0) {
    return {
      task,
      text: selected,
      path,
      languageId: document.languageId,
      startLine: selection.start.line + 1,
      wholeFile: false,
    };
  }
  return { task, text: document.getText(), path, languageId: document.languageId, startLine: 1, wholeFile: true };
}

export class SummarizeCommands implements vscode.Disposable {
  private running: AbortController | null = null;
  private readonly chatSettings: () => ChatSettings;
  private readonly maxParts: number;

  constructor(
    private readonly engine: SummarizeEngine,
    private readonly chat: ChatSink,
    private readonly log: SummarizeLog,
    private readonly ensureChatModel: () => Promise<ModelInfo>,
    options: SummarizeCommandsOptions = {},
  ) {
    this.chatSettings = options.chatSettings ?? readChatSettings;
    this.maxParts = options.maxParts ?? DEFAULT_MAX_PARTS;
  }

  /** Registers both commands; dispose the result to unregister them. */
  register(): vscode.Disposable {
    return vscode.Disposable.from(
      vscode.commands.registerCommand(SUMMARIZE_COMMANDS.summarizeSelection, () => this.run("summarize")),
      vscode.commands.registerCommand(SUMMARIZE_COMMANDS.explainSelection, () => this.run("explain")),
    );
  }

  /** Summarise (or explain) the editor's selection into the chat. Never rejects. */
  async run(
    task: SummaryTask,
    editor: vscode.TextEditor | undefined = vscode.window.activeTextEditor,
  ): Promise<SummaryOutcome> {
    if (!editor) {
      void vscode.window.showInformationMessage("Open a file (and select some code) to summarize it.");
      return { status: "noEditor" };
    }
    const source = editorSource(editor, task);
    // A newer request wins over one still reading parts.
    this.running?.abort();
    const abort = new AbortController();
    this.running = abort;
    const signal = abort.signal;
    try {
      const model = await this.readyModel();
      if (!model) {
        return { status: "noModel" };
      }
      signal.throwIfAborted();
      const count: TokenCountFn = (text, s) => this.engine.countTokens("chat", text, s);
      const generate: SummaryGenerateFn = (request, options) =>
        this.engine.generate(
          "chat",
          { kind: "chat", messages: request.messages, maxTokens: request.maxTokens, temperature: request.temperature },
          options,
        );
      const plan = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: "Local Code: reading the code…" },
        () =>
          planSummary(source, {
            contextSize: model.contextSize,
            final: this.chatSettings(),
            count,
            signal,
            maxParts: this.maxParts,
          }),
      );
      const label = source.wholeFile
        ? `${spanLabel(source.path, plan.span)} (whole file)`
        : spanLabel(source.path, plan.span);
      const prepared =
        plan.mode === "single"
          ? await runSummaryPlan(plan, { generate, count, signal })
          : await vscode.window.withProgress(
              {
                location: vscode.ProgressLocation.Notification,
                title: `Local Code: ${task === "explain" ? "explaining" : "summarizing"} ${label} in ${plan.parts.length} parts`,
                cancellable: true,
              },
              async (progress, token) => {
                const subscription = token.onCancellationRequested(() => abort.abort());
                try {
                  progress.report({ message: `0 of ${plan.parts.length} parts done` });
                  return await runSummaryPlan(plan, {
                    generate,
                    count,
                    signal,
                    onProgress: (p) => progress.report(progressReport(p)),
                  });
                } finally {
                  subscription.dispose();
                }
              },
            );
      signal.throwIfAborted();
      for (const note of prepared.notes) {
        this.log.warn(`summarize: ${label}: ${note}`);
      }
      const answer = await this.chat.startExchange(prepared.exchange);
      this.log.info(
        `summarize: ${label}: ${prepared.parts} part(s), ${prepared.mapCalls} map and ${prepared.combineCalls} combine call(s); answer ${answer.status}` +
          (answer.error ? ` (${answer.error})` : ""),
      );
      return { status: "answered", answer, prepared };
    } catch (error) {
      if (signal.aborted || isCancellation(error)) {
        this.log.info(`summarize: cancelled (${source.path})`);
        vscode.window.setStatusBarMessage("$(circle-slash) Summary cancelled", 3000);
        return { status: "cancelled" };
      }
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof SummaryError) {
        void vscode.window.showInformationMessage(message);
        return { status: "nothingToDo", message };
      }
      this.log.error(`summarize: ${source.path}: ${message}`);
      const actions = remoteActions(error);
      if (error instanceof EngineError && actions.length > 0) {
        // Retry runs the command that failed (Explain retries Explain).
        const command =
          task === "explain" ? SUMMARIZE_COMMANDS.explainSelection : SUMMARIZE_COMMANDS.summarizeSelection;
        void showRemoteFailure("Local Code: the summary failed: ", error, actions).then(
          (retry) => retry && vscode.commands.executeCommand(command),
        );
        return { status: "failed", message };
      }
      void vscode.window.showErrorMessage(`Local Code: the summary failed: ${message}`, "Show Log").then((choice) => {
        if (choice) {
          this.log.show?.();
        }
      });
      return { status: "failed", message };
    } finally {
      if (this.running === abort) {
        this.running = null;
      }
    }
  }

  /** The chat model, or undefined after offering to pick or download one. */
  private async readyModel(): Promise<ModelInfo | undefined> {
    const load = () =>
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: "Local Code: loading the chat model…" },
        () => this.ensureChatModel(),
      );
    try {
      return await load();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.log.warn(`summarize: no chat model: ${reason}`);
      const actions = remoteActions(error);
      if (error instanceof EngineError && actions.length > 0) {
        // A remote server: nothing to select or download; offer its fixes instead.
        if (await showRemoteFailure("Local Code: the chat model is not ready: ", error, actions))
          return this.readyModel();
        return undefined;
      }
      const pick = "Select or Download Model";
      const choice = await vscode.window.showWarningMessage(`Local Code: no chat model is ready. ${reason}`, pick);
      if (choice !== pick) {
        return undefined;
      }
      try {
        await vscode.commands.executeCommand(SELECT_MODEL_COMMAND);
        return await load();
      } catch (retryError) {
        const again = retryError instanceof Error ? retryError.message : String(retryError);
        this.log.warn(`summarize: still no chat model: ${again}`);
        void vscode.window.showInformationMessage(
          `The chat model is not ready yet (${again}). Run the command again once it is.`,
        );
        return undefined;
      }
    }
  }

  dispose(): void {
    this.running?.abort();
    this.running = null;
  }
}

function progressReport(progress: SummaryProgress): { message: string; increment?: number } {
  if (progress.phase === "map") {
    // The map step is most of the work; the last share is left for combining.
    return { message: `${progress.done} of ${progress.total} parts done`, increment: 90 / progress.total };
  }
  return {
    message: `combining the summaries (${progress.done} of ${progress.total})`,
    increment: progress.done === progress.total ? 10 : 0,
  };
}
