/**
 * The sidebar chat view: a thin adapter between the webview, VS Code and the pure ChatController.
 * It validates every webview message, posts nothing to a webview before its "ready", gathers editor
 * context, and runs the code-block actions.
 */
import * as vscode from "vscode";
import { ChatController, type ChatAnswer, type ChatEvent, type ExchangeRequest } from "../../core/chat/chatController";
import { CHAT_IDS } from "../../core/chat/ids";
import { parseChatSettings, type ChatSettings } from "../../core/chat/settings";
import type { Logger } from "../../core/util/logger";
import { buildChatHtml, makeNonce } from "../../core/chat/webviewHtml";
import type { ApplyCodeBlockArgs } from "../../core/edit/apply";
import { EDIT_COMMANDS } from "../../core/edit/ids";
import type { Engine } from "../../core/engine/engine";
import {
  parseWebviewMessage,
  type AttachSource,
  type ExtensionMessage,
  type WebviewMessage,
} from "../../core/protocol/webviewProtocol";
import { excludedMessage } from "../../core/context/exclude";
import { relativePath } from "../context/contextExclude";
import { runCodeAction } from "./codeBlockActions";
import { pickMention, type MentionDeps } from "./mentionPicker";
import { fileContext, pickOpenFiles, selectionContext } from "./editorContext";

export const CHAT_VIEW_ID = CHAT_IDS.view;
export const CHAT_COMMANDS = CHAT_IDS.commands;

/** Where scripts/build.mjs puts the webview bundle and the codicon font (see docs/chat.md). */
export const CHAT_WEBVIEW_ASSETS = {
  script: ["dist", "webview", "chat.js"],
  codicons: ["dist", "webview", "codicon.css"],
  style: ["media", "chat", "chat.css"],
} as const;

export interface ChatViewProviderOptions {
  /** Chat settings; defaults to reading `localCode.chat.*` on every request. */
  getSettings?: () => ChatSettings;
  /** Loads the configured chat model before a question is planned (see ChatControllerDeps.ensureModel). */
  ensureModel?: (signal: AbortSignal) => Promise<unknown>;
  /** localCode.context.exclude: such files are never attached (the chat says so instead). */
  isExcluded?: (uri: vscode.Uri) => boolean;
  /** Where the chat model runs: null on this machine, else the remote server's URL. */
  runsOn?: () => string | null;
  /** The `@workspace` keyword search (src/vscode/context/workspaceSearch.ts); the picker offers it when given. */
  searchWorkspace?: MentionDeps["searchWorkspace"];
}

/** `localCode.chat.*`, read and checked (Summarize reads the same settings). */
export function readChatSettings(): ChatSettings {
  const config = vscode.workspace.getConfiguration("localCode.chat");
  return parseChatSettings({
    maxTokens: config.get("maxTokens"),
    temperature: config.get("temperature"),
    systemPrompt: config.get("systemPrompt"),
  });
}

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  /** The chat's behaviour (exposed for tests and for the lead's wiring). */
  readonly controller: ChatController;
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private focusWhenReady = false;
  private lastEditor: vscode.TextEditor | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private viewDisposables: vscode.Disposable[] = [];
  private readonly isExcluded: (uri: vscode.Uri) => boolean;
  private readonly searchWorkspace: MentionDeps["searchWorkspace"];

  constructor(
    private readonly extensionUri: vscode.Uri,
    engine: Engine,
    storage: vscode.Memento,
    private readonly log: Pick<Logger, "info" | "warn" | "error">,
    options: ChatViewProviderOptions = {},
  ) {
    this.isExcluded = options.isExcluded ?? (() => false);
    this.searchWorkspace = options.searchWorkspace;
    this.controller = new ChatController({
      engine,
      store: storage,
      settings: options.getSettings ?? readChatSettings,
      log,
      ensureModel: options.ensureModel,
      runsOn: options.runsOn,
    });
    this.disposables.push(
      this.controller,
      new vscode.Disposable(this.controller.onDidChange((event) => this.onControllerEvent(event)).dispose),
    );
    this.lastEditor = vscode.window.activeTextEditor;
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor) {
          this.lastEditor = editor;
        }
      }),
    );
  }

  /** Register the view provider and the chat commands. Dispose the result (or the provider) to undo. */
  register(): vscode.Disposable {
    const registrations = [
      vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, this),
      vscode.commands.registerCommand(CHAT_COMMANDS.openChat, () => this.reveal(true)),
      vscode.commands.registerCommand(CHAT_COMMANDS.newChat, async () => {
        this.controller.newChat();
        await this.reveal(true);
      }),
      vscode.commands.registerCommand(CHAT_COMMANDS.addSelection, async () => {
        await this.attach("selection");
        await this.reveal(true);
      }),
    ];
    this.disposables.push(...registrations);
    return vscode.Disposable.from(...registrations);
  }

  resolveWebviewView(webviewView: vscode.WebviewView): void {
    this.disposeView();
    this.view = webviewView;
    this.ready = false;
    const webview = webviewView.webview;
    webview.options = {
      enableScripts: true,
      enableForms: false,
      localResourceRoots: [
        vscode.Uri.joinPath(this.extensionUri, "media"),
        vscode.Uri.joinPath(this.extensionUri, "dist"),
      ],
    };
    webview.html = buildChatHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...CHAT_WEBVIEW_ASSETS.script)).toString(),
      styleUris: [
        webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...CHAT_WEBVIEW_ASSETS.codicons)).toString(),
        webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...CHAT_WEBVIEW_ASSETS.style)).toString(),
      ],
    });
    this.viewDisposables.push(
      webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      webviewView.onDidChangeVisibility(() => {
        // A hidden view's page is usually torn down and says "ready" again when shown (full re-sync
        // then); if it survived instead, this re-sync brings it up to date.
        if (webviewView.visible) {
          this.post({ type: "state", state: this.controller.viewState });
        }
      }),
      webviewView.onDidDispose(() => {
        if (this.view === webviewView) {
          this.view = undefined;
          this.ready = false;
          this.disposeView();
        }
      }),
    );
  }

  /**
   * Start a new conversation with a prompt and attached context, show it in the chat view, and
   * resolve with the answer once it is complete, stopped, interrupted or failed (never rejects).
   * For commands such as "Summarize Selection".
   */
  async startExchange(request: ExchangeRequest): Promise<ChatAnswer> {
    void this.reveal(false);
    return this.controller.startExchange(request);
  }

  /** Show the chat view; with `focusInput`, put the cursor in the question box. */
  async reveal(focusInput: boolean): Promise<void> {
    this.focusWhenReady = focusInput;
    if (this.view) {
      this.view.show(!focusInput);
    } else {
      await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    }
    if (focusInput && this.ready) {
      this.focusWhenReady = false;
      this.post({ type: "focusInput" });
    }
  }

  dispose(): void {
    this.disposeView();
    this.view = undefined;
    while (this.disposables.length > 0) {
      this.disposables.pop()?.dispose();
    }
  }

  private disposeView(): void {
    const disposables = this.viewDisposables;
    this.viewDisposables = [];
    for (const disposable of disposables) {
      disposable.dispose();
    }
  }

  private post(message: ExtensionMessage): void {
    if (!this.view || !this.ready) {
      return; // The webview re-syncs from a full state when it says "ready".
    }
    this.view.webview
      .postMessage(message)
      .then(undefined, (error: unknown) => this.log.warn(`chat: post failed: ${String(error)}`));
  }

  private onControllerEvent(event: ChatEvent): void {
    switch (event.kind) {
      case "state":
        this.post({ type: "state", state: this.controller.viewState });
        break;
      case "chunk":
        this.post({ type: "chunk", conversationId: event.conversationId, turnId: event.turnId, text: event.text });
        break;
      case "notice":
        this.notify(event.level, event.message);
        break;
    }
  }

  private notify(level: "info" | "warning" | "error", message: string): void {
    if (this.ready) {
      this.post({ type: "notice", level, message });
    } else if (level === "error") {
      void vscode.window.showErrorMessage(message);
    } else {
      void vscode.window.showInformationMessage(message);
    }
  }

  private onMessage(raw: unknown): void {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.log.warn(`chat: ignored a message from the webview: ${parsed.error}`);
      return;
    }
    const message = parsed.message;
    if (message.type !== "ready" && !this.ready) {
      this.log.warn(`chat: ignored "${message.type}" sent before "ready"`);
      return;
    }
    this.handle(message).catch((error: unknown) => {
      const text = error instanceof Error ? error.message : String(error);
      this.log.error(`chat: handling "${message.type}" failed: ${text}`);
      this.notify("error", `Chat: ${text}`);
    });
  }

  /** One handler per webview message type: the compiler asks for a handler when a type is added. */
  private readonly handlers: MessageHandlers = {
    ready: () => this.onReady(),
    send: (m) => this.send(m.text),
    stop: () => this.controller.stop(),
    regenerate: () => this.controller.regenerate(),
    editLast: (m) => this.controller.editLast(m.text),
    newChat: () => this.controller.newChat(),
    openConversation: (m) => this.controller.open(m.id),
    deleteConversation: (m) => this.deleteConversation(m.id),
    renameConversation: (m) => this.controller.rename(m.id, m.title),
    attachContext: (m) => this.attach(m.source),
    mention: (m) => this.mention(m.draft),
    removeContext: (m) => this.controller.removeContext(m.id),
    codeAction: (m) => this.codeAction(m),
    copyText: (m) => this.copyText(m.text),
  };

  private async handle(message: WebviewMessage): Promise<void> {
    await (this.handlers[message.type] as (m: WebviewMessage) => unknown)(message);
  }

  private onReady(): void {
    this.ready = true;
    this.post({ type: "state", state: this.controller.viewState });
    if (this.focusWhenReady) {
      this.focusWhenReady = false;
      this.post({ type: "focusInput" });
    }
  }

  private async send(text: string): Promise<void> {
    if (this.controller.busy) {
      this.notify("info", "Wait for the current answer, or press Stop (Escape) first.");
      return;
    }
    await this.controller.ask(text);
  }

  private async deleteConversation(id: string): Promise<void> {
    const entry = this.controller.viewState.history.find((e) => e.id === id);
    const title = entry?.title ?? this.controller.current.title;
    const choice = await vscode.window.showWarningMessage(
      `Delete the conversation “${title}”?`,
      { modal: true },
      "Delete",
    );
    if (choice === "Delete") await this.controller.delete(id);
  }

  /** `@` in the question box: the picker's choices become context chips. */
  private async mention(draft: MentionDraft): Promise<void> {
    for (const input of await pickMention({
      isExcluded: this.isExcluded,
      refuse: (uri) => this.refused(uri),
      notify: (text) => this.notify("info", text),
      currentDocument: () => this.editor()?.document,
      draft,
      searchWorkspace: this.searchWorkspace,
    })) {
      await this.controller.addContext(input);
    }
    this.post({ type: "focusInput" });
  }

  private async codeAction(message: MessageOf<"codeAction">): Promise<void> {
    if (message.action === "apply") {
      await this.apply(message.code, message.language, message.turnId);
      return;
    }
    const notice = await runCodeAction(message.action, message.code, message.language, this.editor());
    if (notice) this.notify("info", notice);
  }

  private async copyText(text: string): Promise<void> {
    await vscode.env.clipboard.writeText(text);
    vscode.window.setStatusBarMessage("$(check) Answer copied", 2000);
  }

  /**
   * Apply: the edit features open the review of the block against the file, starting from the
   * selection the question of this exchange was about (kept with the turn's context).
   */
  private async apply(code: string, language: string | null, turnId: string | undefined): Promise<void> {
    const turn = this.controller.current.turns.find((t) => t.id === turnId);
    const selection = turn?.question.context.find((c) => c.kind === "selection" && c.range && c.path);
    const args: ApplyCodeBlockArgs = {
      code,
      language,
      selection:
        selection?.range && selection.path
          ? {
              path: selection.path,
              startLine: selection.range.startLine,
              endLine: selection.range.endLine,
              content: selection.content,
            }
          : null,
      editorUri: this.editor()?.document.uri.toString() ?? null,
    };
    await vscode.commands.executeCommand(EDIT_COMMANDS.applyCodeBlock, args);
  }

  /** The text editor the user last worked in (focus may be in the webview now). */
  private editor(): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (active) {
      return active;
    }
    const last = this.lastEditor;
    return last && !last.document.isClosed && vscode.window.visibleTextEditors.includes(last)
      ? last
      : vscode.window.visibleTextEditors[0];
  }

  /** Checked before a document is read: a refused attachment is stated in the chat, never read. */
  private refused(uri: vscode.Uri): boolean {
    if (!this.isExcluded(uri)) return false;
    this.notify("warning", excludedMessage(relativePath(uri)));
    return true;
  }

  private async attach(source: AttachSource): Promise<void> {
    const editor = this.editor();
    if (editor && source !== "openFiles" && this.refused(editor.document.uri)) return;
    switch (source) {
      case "selection": {
        const input = editor ? selectionContext(editor) : undefined;
        if (!input) {
          this.notify("info", "Select some text in an editor first.");
          return;
        }
        await this.controller.addContext(input);
        return;
      }
      case "currentFile":
        if (!editor) {
          this.notify("info", "Open a file in an editor first.");
          return;
        }
        await this.controller.addContext(fileContext(editor.document, "file"));
        return;
      case "openFiles":
        for (const input of await pickOpenFiles(editor?.document.uri, (uri) => this.refused(uri))) {
          await this.controller.addContext(input);
        }
        return;
    }
  }
}

type MessageOf<K extends WebviewMessage["type"]> = Extract<WebviewMessage, { type: K }>;
type MessageHandlers = { [K in WebviewMessage["type"]]: (message: MessageOf<K>) => unknown };
type MentionDraft = MessageOf<"mention">["draft"];
