/**
 * The chat webview script (bundled by esbuild to dist/webview/chat.js).
 *
 * Rules it keeps: posts nothing before "ready"; validates every message it receives; renders model
 * output only through `renderMarkdown` (sanitized HTML); keeps its draft and last state with
 * setState so it survives being hidden and shown, then re-syncs from the extension.
 */
// Must stay the first import: it configures zod before any schema is built.
import "./zodJitless";
import { renderMarkdown, toPlainText, type CodeBlock } from "../../src/core/chat/markdown";
import {
  applyChunk,
  composerKeyAction,
  formatTokens,
  nextAnnouncement,
  parseSavedState,
  whereQuestionsGo,
  type SavedWebviewState,
} from "../../src/core/chat/webviewModel";
import {
  parseExtensionMessage,
  type AnswerStatus,
  type AttachSource,
  type ContextChip,
  type TurnView,
  type ViewState,
  type WebviewMessage,
} from "../../src/core/protocol/webviewProtocol";
import { button, clear, h, icon } from "./dom";

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let saved: SavedWebviewState = parseSavedState(vscode.getState());
let state: ViewState | null = saved.lastState;
let readySent = false;
/** A question was submitted and no state has confirmed it yet (prevents double sends). */
let submitting = false;

function post(message: WebviewMessage): void {
  if (!readySent && message.type !== "ready") {
    return;
  }
  readySent = true;
  vscode.postMessage(message);
}

let persistTimer: ReturnType<typeof setTimeout> | undefined;
function persist(now = false): void {
  clearTimeout(persistTimer);
  const write = () => vscode.setState({ ...saved, lastState: state } satisfies SavedWebviewState);
  if (now) {
    write();
  } else {
    persistTimer = setTimeout(write, 300);
  }
}

// ---------------------------------------------------------------------------------------------
// Shell

const app = document.getElementById("app") ?? document.body.appendChild(h("div", { id: "app" }));
clear(app);

const titleText = h("h2", { id: "conversation-title", className: "conversation-title" }, "New chat");
const renameInput = h("input", {
  id: "rename-input",
  className: "rename-input",
  type: "text",
  "aria-label": "Conversation title",
  maxlength: 200,
  hidden: true,
});
const renameButton = button(
  { id: "rename-conversation", className: "icon-button", icon: "edit", label: "Rename conversation", iconOnly: true },
  () => startRename(),
);
const historyToggle = button(
  { id: "history-toggle", className: "icon-button", icon: "history", label: "Conversation history", iconOnly: true },
  () => setHistoryOpen(!saved.historyOpen),
);
historyToggle.setAttribute("aria-controls", "history-panel");
const newChatButton = button(
  { id: "new-chat", className: "icon-button", icon: "add", label: "New chat", iconOnly: true },
  () => {
    cancelEdit();
    post({ type: "newChat" });
    input.focus();
  },
);
const header = h(
  "header",
  { className: "chat-header" },
  titleText,
  renameInput,
  h(
    "div",
    { className: "header-actions", role: "toolbar", "aria-label": "Chat actions" },
    renameButton,
    historyToggle,
    newChatButton,
  ),
);

const historyList = h("ul", { id: "history-list", className: "history-list" });
const historyPanel = h(
  "section",
  { id: "history-panel", className: "history-panel", "aria-label": "Conversation history", hidden: true },
  h("h3", { className: "section-title" }, "History"),
  historyList,
);

const engineStatus = h("div", { id: "engine-status", className: "engine-status", role: "status", hidden: true });
const notice = h("div", { id: "notice", className: "notice", role: "status", hidden: true });

const messages = h("main", { id: "messages", className: "messages", "aria-label": "Conversation", tabindex: -1 });
// Says where questions go: this machine, or the remote server's host (set from the engine state).
const whereNote = h("p", { id: "where-questions-go" }, whereQuestionsGo(null));
const emptyState = h(
  "div",
  { className: "empty-state" },
  whereNote,
  h(
    "p",
    {},
    "Attach the selection, the current file or other open files with the buttons below the question box; type @ for any workspace file, a symbol, the Problems, the git diff or a search of the workspace.",
  ),
);

const liveRegion = h("div", { id: "live-region", className: "sr-only", "aria-live": "polite", "aria-atomic": "true" });

const editBanner = h(
  "div",
  { id: "edit-banner", className: "edit-banner", hidden: true },
  icon("edit"),
  h("span", {}, "Editing your last question. Escape cancels."),
  button({ className: "link-button", label: "Cancel" }, () => cancelEdit()),
);

const chipList = h("ul", { id: "context-chips", className: "context-chips", "aria-label": "Attached context" });
const contextTotal = h("span", { id: "context-total", className: "context-total" });
const attachButton = (source: AttachSource, iconName: string, label: string, id: string) =>
  button({ id, className: "attach-button", icon: iconName, label }, () => post({ type: "attachContext", source }));
const contextBar = h(
  "div",
  { className: "context-bar" },
  chipList,
  h(
    "div",
    { className: "attach-buttons", role: "group", "aria-label": "Attach context" },
    attachButton("selection", "list-selection", "Selection", "attach-selection"),
    attachButton("currentFile", "file", "Current file", "attach-file"),
    attachButton("openFiles", "files", "Open files…", "attach-open-files"),
    button(
      {
        id: "attach-mention",
        className: "attach-button",
        icon: "mention",
        label: "Add…",
        title: "Add a file, a symbol, the Problems or the git diff (type @)",
      },
      () => post({ type: "mention", draft: input.value }),
    ),
    contextTotal,
  ),
);

const input = h("textarea", {
  id: "chat-input",
  className: "chat-input",
  rows: 2,
  "aria-label": "Ask a question",
  "aria-describedby": "composer-hint",
  placeholder: "Ask about your code… (@ adds context)",
});
const sendButton = button(
  {
    id: "send-button",
    className: "primary-button",
    icon: "send",
    label: "Send",
    title: "Send (Enter)",
    iconOnly: true,
  },
  () => submit(),
);
const stopButton = button(
  {
    id: "stop-button",
    className: "primary-button stop",
    icon: "debug-stop",
    label: "Stop",
    title: "Stop (Escape)",
    iconOnly: true,
  },
  () => post({ type: "stop" }),
);
const composer = h(
  "footer",
  { className: "composer" },
  editBanner,
  contextBar,
  h("div", { className: "input-row" }, input, sendButton, stopButton),
  h(
    "p",
    { id: "composer-hint", className: "composer-hint" },
    "Enter to send · Shift+Enter for a new line · Escape to stop",
  ),
);

app.append(header, historyPanel, engineStatus, notice, messages, liveRegion, composer);

// ---------------------------------------------------------------------------------------------
// Rendering

interface TurnEntry {
  signature: string;
  element: HTMLElement;
  body: HTMLElement | null;
  codeBlocks: CodeBlock[];
}
const turnEntries = new Map<string, TurnEntry>();
const previousStatus = new Map<string, AnswerStatus>();

function isBusy(): boolean {
  return (state?.busy ?? false) || submitting;
}

function render(): void {
  if (!state) {
    messages.replaceChildren(emptyState);
    updateComposer();
    return;
  }
  titleText.textContent = state.conversation.title;
  document.title = state.conversation.title;
  renderHistory();
  renderEngine();
  renderTurns();
  renderChips();
  updateComposer();
}

function renderHistory(): void {
  if (!state) {
    return;
  }
  const current = state.conversation.id;
  const items = state.history.map((entry) => {
    const when = new Date(entry.updatedAt).toLocaleString();
    const open = h(
      "button",
      {
        type: "button",
        className: "history-open",
        "aria-current": entry.id === current ? "true" : null,
        title: `${entry.title} (${when})`,
        onclick: () => {
          cancelEdit();
          post({ type: "openConversation", id: entry.id });
          setHistoryOpen(false);
          input.focus();
        },
      },
      h("span", { className: "history-title" }, entry.title),
      h("span", { className: "history-meta" }, `${when} · ${entry.turns} question${entry.turns === 1 ? "" : "s"}`),
    );
    const remove = button(
      {
        className: "icon-button history-delete",
        icon: "trash",
        label: `Delete conversation: ${entry.title}`,
        iconOnly: true,
      },
      () => post({ type: "deleteConversation", id: entry.id }),
    );
    return h("li", { className: "history-item", "data-conversation-id": entry.id }, open, remove);
  });
  historyList.replaceChildren(
    ...(items.length > 0 ? items : [h("li", { className: "history-empty" }, "No saved conversations yet.")]),
  );
}

function renderEngine(): void {
  const engine = state?.engine;
  if (!engine || (engine.state === "ready" && engine.detail === null)) {
    engineStatus.hidden = true;
    return;
  }
  const iconName =
    engine.state === "failed" || engine.state === "crashed" ? "warning" : engine.state === "ready" ? "info" : "loading";
  const spinning = iconName === "loading" ? " codicon-modifier-spin" : "";
  engineStatus.replaceChildren(
    h("span", { className: `codicon codicon-${iconName}${spinning}`, "aria-hidden": "true" }),
    h("span", {}, engine.detail ?? engine.state),
  );
  engineStatus.className = `engine-status engine-${engine.state}`;
  engineStatus.hidden = false;
}

function signatureOf(turn: TurnView, isLast: boolean, busy: boolean): string {
  return JSON.stringify([turn, isLast, busy]);
}

function renderTurns(): void {
  if (!state) {
    return;
  }
  const turns = state.conversation.turns;
  if (turns.length === 0) {
    turnEntries.clear();
    whereNote.textContent = whereQuestionsGo(state.engine.runsOn);
    messages.replaceChildren(emptyState);
    return;
  }
  const busy = isBusy();
  const wanted: HTMLElement[] = [];
  const seen = new Set<string>();
  turns.forEach((turn, index) => {
    const isLast = index === turns.length - 1;
    const signature = signatureOf(turn, isLast, busy);
    let entry = turnEntries.get(turn.id);
    if (!entry || entry.signature !== signature) {
      entry = buildTurn(turn, index, isLast, busy, signature);
      turnEntries.set(turn.id, entry);
    }
    seen.add(turn.id);
    wanted.push(entry.element);
    announceTransition(turn);
  });
  for (const id of [...turnEntries.keys()]) {
    if (!seen.has(id)) {
      turnEntries.delete(id);
    }
  }
  // Move only what changed, so focus inside unchanged turns is kept.
  if (emptyState.parentNode === messages) {
    messages.removeChild(emptyState);
  }
  wanted.forEach((element, index) => {
    const at = messages.children[index];
    if (at !== element) {
      messages.insertBefore(element, at ?? null);
    }
  });
  while (messages.children.length > wanted.length) {
    messages.removeChild(messages.lastElementChild!);
  }
  followBottom();
}

const STATUS_TEXT: Record<AnswerStatus, string> = {
  streaming: "Writing…",
  complete: "",
  stopped: "Stopped.",
  interrupted: "Interrupted.",
  error: "Failed.",
};

function buildTurn(turn: TurnView, index: number, isLast: boolean, busy: boolean, signature: string): TurnEntry {
  const canChange = isLast && !busy;
  const question = h(
    "div",
    { className: "message user" },
    h(
      "div",
      { className: "message-header" },
      icon("account"),
      h("span", { className: "role" }, "You"),
      canChange
        ? button({ className: "icon-button edit-question", icon: "edit", label: "Edit question", iconOnly: true }, () =>
            startEdit(turn.question.text),
          )
        : null,
    ),
    turn.question.context.length > 0
      ? h(
          "ul",
          { className: "context-chips readonly", "aria-label": "Attached context" },
          ...turn.question.context.map((c) => chip(c, false)),
        )
      : null,
    h("div", { className: "question-text" }, turn.question.display ?? turn.question.text),
  );
  const notes = turn.notes.map((note) =>
    h("p", { className: "note", role: "note" }, icon("info"), h("span", {}, note)),
  );
  let body: HTMLElement | null = null;
  let codeBlocks: CodeBlock[] = [];
  let answer: HTMLElement | null = null;
  if (turn.answer) {
    const status = turn.answer.status;
    body = h("div", { className: "markdown-body" });
    codeBlocks = setMarkdown(body, turn.answer.text, status);
    const statusLine =
      status === "complete" || status === "streaming"
        ? null
        : h(
            "p",
            { className: `answer-status status-${status}` },
            icon(status === "error" ? "error" : status === "interrupted" ? "debug-disconnect" : "debug-stop"),
            h("span", {}, turn.answer.error ? `${STATUS_TEXT[status]} ${turn.answer.error}` : STATUS_TEXT[status]),
          );
    const actions = h(
      "div",
      { className: "answer-actions" },
      turn.answer.text.length > 0 && status !== "streaming"
        ? button(
            { className: "text-button copy-answer", icon: "copy", label: "Copy", title: "Copy the answer as Markdown" },
            () => post({ type: "copyText", text: currentAnswerText(turn.id) }),
          )
        : null,
      canChange
        ? button(
            {
              className: "text-button regenerate",
              icon: "refresh",
              label: "Regenerate",
              title: "Answer the last question again",
            },
            () => {
              submitting = true;
              updateComposer();
              post({ type: "regenerate" });
            },
          )
        : null,
    );
    answer = h(
      "div",
      { className: `message assistant status-${status}`, "aria-busy": status === "streaming" ? "true" : "false" },
      h("div", { className: "message-header" }, icon("sparkle"), h("span", { className: "role" }, "Assistant")),
      body,
      statusLine,
      actions,
    );
  }
  const element = h(
    "article",
    { className: "turn", "data-turn-id": turn.id, "aria-label": `Question ${index + 1}` },
    question,
    ...notes,
    answer,
  );
  return { signature, element, body, codeBlocks };
}

function setMarkdown(body: HTMLElement, text: string, status: AnswerStatus): CodeBlock[] {
  if (text.length === 0) {
    body.replaceChildren(
      status === "streaming"
        ? h(
            "p",
            { className: "placeholder" },
            h("span", { className: "codicon codicon-loading codicon-modifier-spin", "aria-hidden": "true" }),
            " Thinking…",
          )
        : h("p", { className: "placeholder" }, "(no answer)"),
    );
    return [];
  }
  const rendered = renderMarkdown(text);
  // Safe: renderMarkdown escapes raw HTML and passes its output through an allow-list sanitizer.
  body.innerHTML = rendered.html;
  return rendered.codeBlocks;
}

function chip(item: ContextChip, removable: boolean): HTMLLIElement {
  const kindIcon =
    item.kind === "selection"
      ? "list-selection"
      : item.kind === "openFile"
        ? "files"
        : item.kind === "snippet"
          ? "code"
          : "file";
  const tokens = formatTokens(item.tokens, item.approximate);
  return h(
    "li",
    { className: "context-chip", title: `${item.detail ?? item.label} (${tokens})`, "data-context-id": item.id },
    icon(kindIcon),
    h("span", { className: "chip-label" }, item.label),
    h("span", { className: "chip-tokens" }, tokens),
    removable
      ? button(
          { className: "icon-button chip-remove", icon: "close", label: `Remove ${item.label}`, iconOnly: true },
          () => post({ type: "removeContext", id: item.id }),
        )
      : null,
  );
}

function renderChips(): void {
  const pending = state?.pendingContext ?? [];
  chipList.replaceChildren(...pending.map((item) => chip(item, true)));
  chipList.hidden = pending.length === 0;
  const total = pending.reduce((sum, item) => sum + item.tokens, 0);
  const approximate = pending.some((item) => item.approximate);
  const contextSize = state?.engine.contextSize;
  contextTotal.textContent =
    pending.length === 0
      ? ""
      : `${formatTokens(total, approximate)} attached${contextSize ? ` of ${contextSize.toLocaleString("en-US")}` : ""}`;
}

function updateComposer(): void {
  const busy = isBusy();
  sendButton.hidden = busy;
  stopButton.hidden = !busy;
  stopButton.disabled = !(state?.busy ?? false);
  editBanner.hidden = !saved.editing;
  input.setAttribute("aria-label", saved.editing ? "Edit your last question" : "Ask a question");
  historyToggle.setAttribute("aria-expanded", String(saved.historyOpen));
  historyPanel.hidden = !saved.historyOpen;
}

function currentAnswerText(turnId: string): string {
  return state?.conversation.turns.find((turn) => turn.id === turnId)?.answer?.text ?? "";
}

// ---------------------------------------------------------------------------------------------
// Streaming

let streamTimer: ReturnType<typeof setTimeout> | undefined;
let streamTurnId: string | null = null;
let lastStreamRender = 0;

function scheduleStreamRender(turnId: string): void {
  streamTurnId = turnId;
  if (streamTimer !== undefined) {
    return;
  }
  const length = currentAnswerText(turnId).length;
  // Re-rendering the whole answer is O(length): render less often as it grows.
  const interval = length < 20_000 ? 50 : length < 100_000 ? 250 : 1000;
  streamTimer = setTimeout(
    () => {
      streamTimer = undefined;
      lastStreamRender = Date.now();
      renderStreaming();
    },
    Math.max(0, interval - (Date.now() - lastStreamRender)),
  );
}

function renderStreaming(): void {
  if (!state || !streamTurnId) {
    return;
  }
  const turns = state.conversation.turns;
  const index = turns.findIndex((turn) => turn.id === streamTurnId);
  const turn = turns[index];
  const entry = turnEntries.get(streamTurnId);
  if (!turn?.answer || !entry?.body) {
    return;
  }
  entry.codeBlocks = setMarkdown(entry.body, turn.answer.text, turn.answer.status);
  entry.signature = signatureOf(turn, index === turns.length - 1, isBusy());
  announceProgress(turn);
  followBottom();
}

// ---------------------------------------------------------------------------------------------
// Screen reader announcements: the streaming answer is read sentence by sentence, then its outcome.

const announced = new Map<string, number>();
let lastAnnouncement = 0;

function say(text: string): void {
  const plain = toPlainText(text);
  if (plain.length > 0) {
    liveRegion.textContent = plain;
  }
}

function announceProgress(turn: TurnView): void {
  if (!turn.answer || Date.now() - lastAnnouncement < 2000) {
    return;
  }
  const { say: next, offset } = nextAnnouncement(turn.answer.text, announced.get(turn.id) ?? 0, false);
  if (next.trim().length > 0) {
    announced.set(turn.id, offset);
    lastAnnouncement = Date.now();
    say(next);
  }
}

function announceTransition(turn: TurnView): void {
  const status = turn.answer?.status;
  const before = previousStatus.get(turn.id);
  if (status) {
    previousStatus.set(turn.id, status);
  }
  if (!status || before === status) {
    return;
  }
  if (status === "streaming") {
    announced.set(turn.id, 0);
    liveRegion.textContent = "Writing the answer…";
    return;
  }
  if (before !== "streaming") {
    return; // Only announce outcomes seen happening, not ones restored from history.
  }
  const rest = nextAnnouncement(turn.answer!.text, announced.get(turn.id) ?? 0, true).say;
  const outcome =
    status === "complete"
      ? "Answer complete."
      : status === "stopped"
        ? "Answer stopped."
        : status === "interrupted"
          ? "Answer interrupted."
          : "The answer failed.";
  liveRegion.textContent = `${toPlainText(rest)} ${outcome} ${turn.answer!.error ?? ""}`.trim();
}

// ---------------------------------------------------------------------------------------------
// Scrolling: follow the answer while the user is at the bottom.

function followBottom(): void {
  if (saved.pinned) {
    messages.scrollTop = messages.scrollHeight;
  }
}

messages.addEventListener("scroll", () => {
  const pinned = messages.scrollTop + messages.clientHeight >= messages.scrollHeight - 32;
  if (pinned !== saved.pinned || Math.abs((saved.scrollTop ?? 0) - messages.scrollTop) > 50) {
    saved = { ...saved, pinned, scrollTop: messages.scrollTop };
    persist();
  }
});

// ---------------------------------------------------------------------------------------------
// Composer, editing, history, rename

function submit(): void {
  const text = input.value.trim();
  if (text.length === 0 || isBusy()) {
    return;
  }
  post(saved.editing ? { type: "editLast", text } : { type: "send", text });
  submitting = true;
  input.value = "";
  saved = { ...saved, draft: "", editing: false, pinned: true };
  autoGrow();
  updateComposer();
  persist(true);
}

function startEdit(text: string): void {
  saved = { ...saved, editing: true, draft: text };
  input.value = text;
  autoGrow();
  updateComposer();
  input.focus();
  input.setSelectionRange(text.length, text.length);
  persist();
}

function cancelEdit(): void {
  if (!saved.editing) {
    return;
  }
  saved = { ...saved, editing: false, draft: "" };
  input.value = "";
  autoGrow();
  updateComposer();
  persist();
}

function setHistoryOpen(open: boolean): void {
  saved = { ...saved, historyOpen: open };
  updateComposer();
  persist();
  if (open) {
    (historyList.querySelector("button") as HTMLButtonElement | null)?.focus();
  }
}

function startRename(): void {
  if (!state) {
    return;
  }
  renameInput.value = state.conversation.title;
  titleText.hidden = true;
  renameInput.hidden = false;
  renameInput.focus();
  renameInput.select();
}

function finishRename(commit: boolean): void {
  if (renameInput.hidden) {
    return;
  }
  const title = renameInput.value.trim();
  renameInput.hidden = true;
  titleText.hidden = false;
  if (commit && state && title.length > 0 && title !== state.conversation.title) {
    post({ type: "renameConversation", id: state.conversation.id, title });
  }
  renameButton.focus();
}

renameInput.addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    event.preventDefault();
    finishRename(true);
  } else if (event.key === "Escape") {
    event.preventDefault();
    event.stopPropagation();
    finishRename(false);
  }
});
renameInput.addEventListener("blur", () => finishRename(true));

function autoGrow(): void {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 240)}px`;
}

input.addEventListener("input", (event) => {
  // "@" typed at the start of a word opens the extension's context picker; the "@" itself is not kept.
  const at = input.selectionStart - 1;
  if (
    event instanceof InputEvent &&
    event.inputType === "insertText" &&
    event.data === "@" &&
    input.selectionStart === input.selectionEnd &&
    input.value[at] === "@" &&
    (at === 0 || /\s/.test(input.value[at - 1]))
  ) {
    input.value = input.value.slice(0, at) + input.value.slice(at + 1);
    input.setSelectionRange(at, at);
    post({ type: "mention", draft: input.value });
  }
  saved = { ...saved, draft: input.value };
  autoGrow();
  persist();
});

input.addEventListener("keydown", (event) => {
  const last = state?.conversation.turns[state.conversation.turns.length - 1];
  const action = composerKeyAction(event, {
    busy: isBusy(),
    editing: saved.editing,
    empty: input.value.length === 0,
    canEditLast: last !== undefined,
  });
  switch (action) {
    case "send":
      event.preventDefault();
      submit();
      break;
    case "editLast":
      event.preventDefault();
      startEdit(last!.question.text);
      break;
    case "stop":
    case "cancelEdit":
      // Handled by the document-level Escape handler below.
      break;
    case null:
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && isBusy()) {
        event.preventDefault(); // Enter never inserts a line while an answer is running.
      }
      break;
  }
});

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || event.defaultPrevented) {
    return;
  }
  if (state?.busy) {
    event.preventDefault();
    post({ type: "stop" });
  } else if (saved.editing) {
    event.preventDefault();
    cancelEdit();
    input.focus();
  } else if (saved.historyOpen) {
    event.preventDefault();
    setHistoryOpen(false);
    historyToggle.focus();
  }
});

// Code-block actions (delegated: the buttons come from the sanitized markdown).
messages.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target.closest("button[data-action]") : null;
  if (!target) {
    return;
  }
  const turnId = target.closest("[data-turn-id]")?.getAttribute("data-turn-id");
  const index = Number(target.getAttribute("data-code-index"));
  const action = target.getAttribute("data-action");
  const block = turnId ? turnEntries.get(turnId)?.codeBlocks[index] : undefined;
  if (!block || (action !== "copy" && action !== "insert" && action !== "newFile" && action !== "apply")) {
    return;
  }
  event.preventDefault();
  post({ type: "codeAction", action, code: block.code, language: block.language, turnId: turnId ?? undefined });
  if (action === "copy") {
    liveRegion.textContent = "Code copied.";
  }
});

let noticeTimer: ReturnType<typeof setTimeout> | undefined;
function showNotice(level: "info" | "warning" | "error", message: string): void {
  clearTimeout(noticeTimer);
  notice.className = `notice notice-${level}`;
  notice.replaceChildren(
    icon(level === "info" ? "info" : level),
    h("span", {}, message),
    button({ className: "icon-button", icon: "close", label: "Dismiss", iconOnly: true }, () => (notice.hidden = true)),
  );
  notice.hidden = false;
  // Only info fades: a warning or error stays until dismissed or replaced, so it can be read (and
  // read out) at the reader's pace.
  if (level === "info") noticeTimer = setTimeout(() => (notice.hidden = true), 8000);
}

// ---------------------------------------------------------------------------------------------
// Messages from the extension

window.addEventListener("message", (event: MessageEvent<unknown>) => {
  const parsed = parseExtensionMessage(event.data);
  if (!parsed.ok) {
    console.warn(`chat webview: ${parsed.error}`);
    return;
  }
  const message = parsed.message;
  switch (message.type) {
    case "state": {
      const switched = state?.conversation.id !== message.state.conversation.id;
      state = message.state;
      submitting = false;
      if (switched) {
        turnEntries.clear();
        saved = { ...saved, pinned: true };
      }
      render();
      persist();
      break;
    }
    case "chunk":
      if (state) {
        state = applyChunk(state, message.conversationId, message.turnId, message.text);
        scheduleStreamRender(message.turnId);
      }
      break;
    case "focusInput":
      input.focus();
      break;
    case "notice":
      showNotice(message.level, message.message);
      break;
  }
});

// ---------------------------------------------------------------------------------------------
// Start: show what we had (instant after hide/show), then say "ready" to get the real state.

input.value = saved.draft;
autoGrow();
if (state) {
  // Statuses restored from saved state are not "transitions" to announce.
  for (const turn of state.conversation.turns) {
    if (turn.answer) {
      previousStatus.set(turn.id, turn.answer.status);
    }
  }
}
render();
if (saved.scrollTop !== null && !saved.pinned) {
  messages.scrollTop = saved.scrollTop;
}
post({ type: "ready" });
