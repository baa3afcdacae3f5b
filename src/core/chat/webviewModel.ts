/**
 * Pure logic the chat webview runs (kept here so it is unit-tested in Node): applying streamed
 * chunks to the last full state, deciding what a key press in the composer means, and validating
 * the state the webview saved with setState.
 */
import * as z from "zod";
import { ViewStateSchema, type ViewState } from "../protocol/webviewProtocol";

/** Append a streamed chunk to the matching streaming answer; other chunks are ignored. */
export function applyChunk(state: ViewState, conversationId: string, turnId: string, text: string): ViewState {
  if (state.conversation.id !== conversationId || text.length === 0) {
    return state;
  }
  const index = state.conversation.turns.findIndex((turn) => turn.id === turnId);
  const turn = state.conversation.turns[index];
  if (!turn || !turn.answer || turn.answer.status !== "streaming") {
    return state;
  }
  const turns = state.conversation.turns.slice();
  turns[index] = { ...turn, answer: { ...turn.answer, text: turn.answer.text + text } };
  return { ...state, conversation: { ...state.conversation, turns } };
}

export interface KeyInput {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  /** True while an IME composition is in progress (Enter then confirms the composition). */
  isComposing: boolean;
}

export interface ComposerContext {
  busy: boolean;
  editing: boolean;
  /** The question box is empty. */
  empty: boolean;
  /** There is a last question that could be edited. */
  canEditLast: boolean;
}

export type ComposerKeyAction = "send" | "stop" | "cancelEdit" | "editLast" | null;

/**
 * Enter sends (Shift+Enter is a new line), Escape stops a running answer or leaves edit mode,
 * ArrowUp in an empty box edits the last question. null: let the key do its default.
 */
export function composerKeyAction(key: KeyInput, context: ComposerContext): ComposerKeyAction {
  if (key.isComposing) {
    return null;
  }
  const modified = key.shiftKey || key.ctrlKey || key.altKey || key.metaKey;
  switch (key.key) {
    case "Enter":
      return modified || context.busy ? null : "send";
    case "Escape":
      return context.busy ? "stop" : context.editing ? "cancelEdit" : null;
    case "ArrowUp":
      return !modified && context.empty && !context.busy && !context.editing && context.canEditLast ? "editLast" : null;
    default:
      return null;
  }
}

/** What the webview keeps with setState so it survives being hidden and shown. */
export const SavedWebviewStateSchema = z.object({
  version: z.literal(1),
  draft: z.string().max(200_000),
  editing: z.boolean(),
  historyOpen: z.boolean(),
  scrollTop: z.number().min(0).nullable(),
  /** Bottom-pinned: follow the streaming answer. */
  pinned: z.boolean(),
  lastState: ViewStateSchema.nullable(),
});
export type SavedWebviewState = z.infer<typeof SavedWebviewStateSchema>;

export const EMPTY_SAVED_STATE: SavedWebviewState = {
  version: 1,
  draft: "",
  editing: false,
  historyOpen: false,
  scrollTop: null,
  pinned: true,
  lastState: null,
};

export function parseSavedState(raw: unknown): SavedWebviewState {
  const parsed = SavedWebviewStateSchema.safeParse(raw);
  return parsed.success ? parsed.data : { ...EMPTY_SAVED_STATE };
}

/**
 * Where the screen reader should continue reading a streaming answer: up to the last sentence or
 * line end after `from`, or everything when `final`. Returns the text to announce and the new offset.
 */
export function nextAnnouncement(text: string, from: number, final: boolean): { say: string; offset: number } {
  if (final) {
    return { say: text.slice(from), offset: text.length };
  }
  const rest = text.slice(from);
  let end = -1;
  for (const match of rest.matchAll(/[.!?:](\s|$)|\n/g)) {
    end = match.index + match[0].length;
  }
  return end <= 0 ? { say: "", offset: from } : { say: rest.slice(0, end), offset: from + end };
}

/** "1,234" / "≈1,234" for chips. */
/**
 * The empty chat's promise about privacy, true to the backend: nothing leaves the machine only when
 * the model runs locally; with a remote server it names the host the questions go to.
 */
export function whereQuestionsGo(runsOn: string | null): string {
  if (runsOn === null) return "Ask a question about your code. The model runs locally; nothing leaves your machine.";
  let host = runsOn;
  try {
    host = new URL(runsOn).host || runsOn;
  } catch {
    // Not a URL: name it as given.
  }
  return `Ask a question about your code. The model runs on the remote server ${host}: your questions and the code you attach are sent there.`;
}

export function formatTokens(tokens: number, approximate: boolean): string {
  return `${approximate ? "≈" : ""}${tokens.toLocaleString("en-US")} token${tokens === 1 ? "" : "s"}`;
}
