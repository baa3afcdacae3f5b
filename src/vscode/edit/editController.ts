/**
 * The edit flow: pick the range and the instruction, stream the chat model's rewrite into an
 * EditSession (the live diff), then let the user decide hunk by hunk. Edit Selection, Fix with
 * Local Code and Document all run through `start`.
 */
import * as vscode from "vscode";
import {
  chooseEditRange,
  EditTooLongError,
  extractRewrite,
  planEditPrompt,
  restoreIndentation,
  rewriteComplete,
  unusableRewrite,
  planTestsPrompt,
  splitLines,
  testFileFor,
  testFileGlob,
  type LineRange,
  type RangeChoice,
  type SymbolInfo,
} from "../../core/edit";
import { isCancellation, type Engine } from "../../core/engine/engine";
import type { ChatMessage, ModelInfo } from "../../core/protocol/workerProtocol";
import { EditSession, type EditDecorations, type SessionEnd } from "./editSession";
import type { Logger } from "../../core/util/logger";

export interface EditDeps {
  engine: Pick<Engine, "generate" | "countTokens">;
  ensureModel: (signal?: AbortSignal) => Promise<ModelInfo>;
  log: Pick<Logger, "info" | "warn" | "error">;
  /** Where recent instructions are kept (the extension's globalState). */
  state: vscode.Memento;
  decorations: EditDecorations;
}

export interface EditRequest {
  editor: vscode.TextEditor;
  /** The lines to rewrite; else chosen from the selection, the symbols or the paragraph. */
  range?: LineRange;
  /** The instruction; else asked for. */
  instruction?: string;
}

export type EditOutcome =
  SessionEnd | "pending" | "noRange" | "noInstruction" | "busy" | "tooLong" | "noChange" | "unusable" | "stale";

const RECENT_KEY = "localCode.edit.recentInstructions";
const RECENT_MAX = 12;

export class EditController implements vscode.Disposable {
  private readonly sessions = new Map<string, EditSession>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a session starts, changes or ends (CodeLens and the context key follow it). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly deps: EditDeps,
    /** Tells the review documents' provider that a review's text changed. */
    private readonly contentChanged: (uri: vscode.Uri) => void,
  ) {}

  /** The pending review of a real document. */
  session(document: vscode.TextDocument): EditSession | undefined {
    return this.sessions.get(document.uri.toString());
  }

  /** The session a review document (scheme localcode-edit) shows. */
  forReview(uri: vscode.Uri | string): EditSession | undefined {
    const key = uri.toString();
    return this.all().find((s) => s.reviewUri.toString() === key);
  }

  all(): EditSession[] {
    return [...this.sessions.values()];
  }

  /** Runs an edit on the editor; resolves once the proposal is shown (or the flow stopped). */
  async start(request: EditRequest): Promise<EditOutcome> {
    const { editor } = request;
    const document = editor.document;
    if (this.session(document)) {
      void vscode.window.showInformationMessage(
        "Local Code: an edit is already pending in this file. Accept or reject it first (Escape rejects what is left).",
      );
      return "busy";
    }
    const lines = splitLines(document.getText());
    let range = request.range;
    let label = "selection";
    if (!range) {
      const choice = await rangeAtCursor(
        editor,
        lines,
        "Local Code: select the code to edit, or put the cursor inside a function or a block of code.",
      );
      if (!choice) return "noRange";
      range = choice.range;
      label = choice.label;
    } else {
      label =
        range.startLine === range.endLine
          ? `line ${range.startLine + 1}`
          : `lines ${range.startLine + 1}-${range.endLine + 1}`;
    }
    const instruction = request.instruction ?? (await this.askInstruction(label));
    if (!instruction) return "noInstruction";
    if (this.session(document)) return "busy";

    const session = await this.open(document, range, instruction, editor.viewColumn);
    return this.generate(session, async (contextSize, signal) => {
      const plan = await planEditPrompt(
        {
          instruction,
          path: displayPath(document),
          languageId: document.languageId,
          indentation: {
            insertSpaces: editor.options.insertSpaces !== false,
            tabSize: typeof editor.options.tabSize === "number" ? editor.options.tabSize : 4,
          },
          lines: splitLines(document.getText()),
          range,
        },
        { contextSize, count: (text, s) => this.deps.engine.countTokens("chat", text, s), signal },
      );
      return {
        ...plan,
        detail: `${plan.contextBefore} + ${plan.contextAfter} context lines, up to ${plan.maxTokens} answer tokens`,
      };
    });
  }

  /**
   * Generate Tests: unit tests for the symbol at the cursor, proposed (the same review) into a new
   * untitled file next to the source, in the style of an existing test file of the project.
   */
  async generateTests(editor: vscode.TextEditor): Promise<EditOutcome> {
    const source = editor.document;
    const lines = splitLines(source.getText());
    const choice = await rangeAtCursor(
      editor,
      lines,
      "Local Code: put the cursor inside the function or class to test, or select it.",
    );
    if (!choice) return "noRange";
    const path = displayPath(source);
    const glob = testFileGlob(path);
    const found = glob ? await vscode.workspace.findFiles(glob, "**/node_modules/**", 1) : [];
    let example: { path: string; text: string } | null = null;
    if (found[0]) {
      const bytes = await vscode.workspace.fs.readFile(found[0]);
      example = { path: vscode.workspace.asRelativePath(found[0], false), text: new TextDecoder().decode(bytes) };
    }
    const testPath = testFileFor(path, example?.path ?? null);
    const folder = vscode.workspace.getWorkspaceFolder(source.uri);
    const document = folder
      ? await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, testPath).with({ scheme: "untitled" }))
      : await vscode.workspace.openTextDocument({ language: source.languageId });
    if (document.languageId !== source.languageId)
      await vscode.languages.setTextDocumentLanguage(document, source.languageId).then(undefined, () => undefined);
    // An empty new file gets the tests at line 0; one reopened with text keeps it and gets them after it.
    const startLine = document.getText() === "" ? 0 : document.lineCount;
    const range = { startLine, endLine: startLine - 1 };
    const label = choice.source === "selection" ? "the selection" : choice.label;
    const session = await this.open(document, range, `Tests for ${label}`, editor.viewColumn);
    this.deps.log.info(`edit: tests for ${label} go to ${testPath}${example ? ` (style of ${example.path})` : ""}`);
    const code = lines.slice(choice.range.startLine, choice.range.endLine + 1).join("\n");
    return this.generate(session, async (contextSize, signal) => {
      const plan = await planTestsPrompt(
        { code, label, path, testPath, languageId: source.languageId, example },
        { contextSize, count: (text, s) => this.deps.engine.countTokens("chat", text, s), signal },
      );
      return {
        ...plan,
        detail: `${plan.withExample ? "with" : "without"} a style example, up to ${plan.maxTokens} answer tokens`,
      };
    });
  }

  /**
   * Opens the review of a given rewrite of `range` (Apply from chat): the same hunk-by-hunk review
   * as an edit, without a model. An empty range (endLine = startLine - 1) inserts before startLine.
   */
  async proposeRewrite(request: {
    document: vscode.TextDocument;
    range: LineRange;
    rewrite: readonly string[];
    title: string;
    column?: vscode.ViewColumn;
  }): Promise<EditOutcome> {
    const { document, range } = request;
    if (this.session(document)) {
      void vscode.window.showInformationMessage(
        "Local Code: an edit is already pending in this file. Accept or reject it first (Escape rejects what is left).",
      );
      return "busy";
    }
    const original = splitLines(document.getText()).slice(range.startLine, range.endLine + 1);
    const rewrite = restoreIndentation(original, request.rewrite);
    if (rewrite.join("\n") === original.join("\n")) {
      void vscode.window.showInformationMessage("Local Code: the code block is already there; nothing to apply.");
      return "noChange";
    }
    const session = await this.open(document, range, request.title, request.column);
    session.review.propose(rewrite, true);
    session.render();
    this.deps.log.info(
      `edit: ${session.review.hunks().length} hunk(s) proposed from a chat code block (${request.title})`,
    );
    return "pending";
  }

  /** Creates, registers and shows the review session of `range`. */
  private async open(
    document: vscode.TextDocument,
    range: LineRange,
    title: string,
    column: vscode.ViewColumn | undefined,
  ): Promise<EditSession> {
    const original = splitLines(document.getText()).slice(range.startLine, range.endLine + 1);
    const session = new EditSession(
      document,
      range.startLine,
      original,
      this.deps.decorations,
      title,
      this.contentChanged,
    );
    const key = document.uri.toString();
    this.sessions.set(key, session);
    session.onChange(() => this.changed.fire());
    session.onEnd((how, detail) => {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
      this.deps.log.info(
        `edit: ${vscode.workspace.asRelativePath(document.uri, false)} ${how}${detail ? `: ${detail}` : ""}`,
      );
      if (how === "stale" && detail) void vscode.window.showWarningMessage(`Local Code: ${detail}`);
      this.changed.fire();
    });
    this.changed.fire();
    await session.show(column);
    return session;
  }

  private async generate(
    session: EditSession,
    planFor: (
      contextSize: number,
      signal: AbortSignal,
    ) => Promise<{ messages: ChatMessage[]; maxTokens: number; detail: string }>,
  ): Promise<EditOutcome> {
    const signal = session.abort.signal;
    const original = session.review.original;
    let answer = "";
    const started = Date.now();
    const log = (what: string) => this.deps.log.info(`edit: ${what} (${Date.now() - started} ms)`);
    let stale: string | null = null;
    let hasChatTemplate: boolean | undefined;
    let shown = false;
    let lastShown: string | null = null;
    const show = (final: boolean): void => {
      if (!session.review.streaming) return;
      const rewrite = extractRewrite(answer, final);
      if (rewrite === null && !final) return;
      if (!shown) {
        stale = session.relocate();
        if (stale) {
          session.abort.abort();
          return;
        }
        shown = true;
        log("first lines of the rewrite");
      }
      const lines = restoreIndentation(original, rewrite ?? []);
      // Most tokens do not complete a line: show only what changed.
      const key = lines.join("\n");
      if (!final && key === lastShown) return;
      lastShown = key;
      session.review.propose(lines, final);
      session.render();
    };
    try {
      const result: string = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: "$(loading~spin) Local Code: editing (Escape cancels)" },
        async () => {
          const model = await this.deps.ensureModel(signal);
          hasChatTemplate = model.hasChatTemplate;
          log(`chat model ready (${model.contextSize} tokens of context)`);
          const plan = await planFor(model.contextSize, signal);
          log(`prompt planned: ${plan.detail}`);
          // The rewrite is done once its fence closes: stop there instead of letting the model ramble on.
          const generation = new AbortController();
          const stop = () => generation.abort();
          signal.addEventListener("abort", stop, { once: true });
          let fenceClosed = false;
          try {
            const result = await this.deps.engine.generate(
              "chat",
              { kind: "chat", messages: plan.messages, maxTokens: plan.maxTokens, temperature: 0 },
              {
                signal: generation.signal,
                onChunk: (text) => {
                  answer += text;
                  show(false);
                  if (!fenceClosed && rewriteComplete(answer)) {
                    fenceClosed = true;
                    generation.abort();
                  }
                },
              },
            );
            return result.stopReason;
          } catch (error) {
            if (fenceClosed && !signal.aborted) return "fence";
            throw error;
          } finally {
            signal.removeEventListener("abort", stop);
          }
        },
      );
      if (stale) throw new StaleError(stale);
      if (session.isEnded || signal.aborted) return "cancelled";
      const unusable = unusableRewrite(answer, result, { hasChatTemplate });
      if (unusable) {
        await session.cancel();
        log(`answer refused (${result}): ${unusable}`);
        void vscode.window.showWarningMessage(`Local Code: ${unusable}`);
        return "unusable";
      }
      const final = restoreIndentation(original, extractRewrite(answer, true) ?? []);
      if (final.join("\n") === original.join("\n")) {
        await session.cancel();
        void vscode.window.showInformationMessage("Local Code: the model proposed no change.");
        return "noChange";
      }
      if (!shown) {
        const reason = session.relocate();
        if (reason) throw new StaleError(reason);
      }
      session.review.propose(final, true);
      session.render();
      log(`${session.review.hunks().length} hunk(s) proposed (${result})`);
      return "pending";
    } catch (error) {
      if (stale || error instanceof StaleError) {
        await session.cancel();
        void vscode.window.showWarningMessage(`Local Code: ${stale ?? (error as Error).message}`);
        return "stale";
      }
      if (session.isEnded) return "cancelled";
      await session.cancel();
      if (signal.aborted || isCancellation(error)) return "cancelled";
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof EditTooLongError) {
        void vscode.window.showWarningMessage(`Local Code: ${message}`);
        return "tooLong";
      }
      this.deps.log.error(`edit failed: ${message}`);
      void vscode.window.showErrorMessage(`Local Code: the edit failed: ${message}`);
      return "failed";
    }
  }

  /** The instruction, typed or picked from recent ones (the typed text is always the first item). */
  private async askInstruction(label: string): Promise<string | undefined> {
    const recent = this.deps.state.get<string[]>(RECENT_KEY, []).filter((s) => typeof s === "string");
    const pick = vscode.window.createQuickPick();
    pick.title = `Local Code: Edit ${label}`;
    pick.placeholder =
      recent.length > 0
        ? "Describe the change, or pick a recent instruction"
        : "Describe the change (e.g. add error handling)";
    const recentItems = recent.map((text) => ({ label: text, description: "recent" }));
    pick.items = recentItems;
    pick.onDidChangeValue((value) => {
      pick.items = value.trim()
        ? [
            { label: value, description: "new instruction", alwaysShow: true },
            ...recentItems.filter((i) => i.label !== value),
          ]
        : recentItems;
    });
    const value = await new Promise<string | undefined>((resolve) => {
      pick.onDidAccept(() => {
        resolve(pick.selectedItems[0]?.label ?? pick.value);
        pick.hide();
      });
      pick.onDidHide(() => resolve(undefined));
      pick.show();
    });
    pick.dispose();
    const instruction = value?.trim();
    if (!instruction) return undefined;
    await this.deps.state.update(
      RECENT_KEY,
      [instruction, ...recent.filter((r) => r !== instruction)].slice(0, RECENT_MAX),
    );
    return instruction;
  }

  dispose(): void {
    for (const session of this.sessions.values()) session.dispose();
    this.sessions.clear();
    this.changed.dispose();
  }
}

class StaleError extends Error {}

/** The document's symbols as plain data (empty when no language extension provides them). */
export async function documentSymbols(document: vscode.TextDocument): Promise<SymbolInfo[]> {
  try {
    const symbols = await vscode.commands.executeCommand<
      (vscode.DocumentSymbol | vscode.SymbolInformation)[] | undefined
    >("vscode.executeDocumentSymbolProvider", document.uri);
    const convert = (s: vscode.DocumentSymbol | vscode.SymbolInformation): SymbolInfo => {
      const range = "location" in s ? s.location.range : s.range;
      return {
        name: s.name,
        kind: vscode.SymbolKind[s.kind],
        range: { startLine: range.start.line, endLine: range.end.line },
        children: "children" in s ? s.children.map(convert) : [],
      };
    };
    return (symbols ?? []).map(convert);
  } catch {
    return [];
  }
}

/** The selection, else the function or block at the cursor; with neither, tells the user `hint`. */
async function rangeAtCursor(editor: vscode.TextEditor, lines: string[], hint: string): Promise<RangeChoice | null> {
  const choice = chooseEditRange({
    lines,
    selection: editor.selection.isEmpty ? null : editor.selection,
    cursor: editor.selection.active,
    symbols: await documentSymbols(editor.document),
  });
  if (!choice) void vscode.window.showInformationMessage(hint);
  return choice;
}

/** The path shown to the model: workspace-relative, or the name of an untitled file. */
function displayPath(document: vscode.TextDocument): string {
  return document.isUntitled
    ? document.uri.path.split("/").pop() || "Untitled"
    : vscode.workspace.asRelativePath(document.uri, false);
}
