/**
 * Conversation state transitions as a pure reducer. Every change to a conversation goes through
 * `reduceConversation`, so the rules (what a late chunk does, what Regenerate keeps) live in one
 * place and are tested without VS Code or a model. Actions that do not apply return the same object.
 */
import type { Answer, AnswerStatus, ContextItem, Conversation, Turn } from "./types";
import { DEFAULT_TITLE, cleanTitle, makeTitle } from "./title";

export type ConversationAction =
  /** A new question; its answer starts streaming at once. */
  | { type: "ask"; turnId: string; text: string; display: string | null; context: ContextItem[]; at: number }
  | { type: "chunk"; turnId: string; text: string; at: number }
  /** The model finished (eog, max tokens, ...). */
  | { type: "complete"; turnId: string; at: number }
  /** The user pressed Stop. */
  | { type: "stop"; turnId: string; at: number }
  /** The worker died or the window closed mid-answer: the partial answer stays. */
  | { type: "interrupt"; turnId: string; reason: string; at: number }
  | { type: "fail"; turnId: string; error: string; at: number }
  /** Answer the last question again (keeps its question and context). */
  | { type: "regenerate"; at: number }
  /** Replace the last question's text and answer it again. */
  | { type: "editLast"; text: string; at: number }
  | { type: "addNote"; turnId: string; note: string; at: number }
  | { type: "rename"; title: string; at: number }
  /** After a reload: answers still marked streaming can no longer finish. */
  | { type: "recover"; at: number };

export function createConversation(id: string, at: number, title?: string): Conversation {
  return {
    version: 1,
    id,
    title: title === undefined ? DEFAULT_TITLE : cleanTitle(title),
    customTitle: title !== undefined,
    createdAt: at,
    updatedAt: at,
    turns: [],
  };
}

export function lastTurn(conversation: Conversation): Turn | undefined {
  return conversation.turns[conversation.turns.length - 1];
}

/** The turn whose answer is streaming, if any (only the last turn can stream). */
export function streamingTurn(conversation: Conversation): Turn | undefined {
  const last = lastTurn(conversation);
  return last?.answer?.status === "streaming" ? last : undefined;
}

export const INTERRUPTED_NOTE = "The answer was interrupted. The partial answer is kept; use Regenerate to try again.";

export function reduceConversation(conversation: Conversation, action: ConversationAction): Conversation {
  switch (action.type) {
    case "ask": {
      if (streamingTurn(conversation)) {
        return conversation;
      }
      const turn: Turn = {
        id: action.turnId,
        question: { text: action.text, display: action.display, context: action.context },
        answer: { text: "", status: "streaming", error: null },
        notes: [],
        createdAt: action.at,
      };
      const title =
        conversation.customTitle || conversation.turns.length > 0
          ? conversation.title
          : makeTitle(action.display ?? action.text);
      return { ...conversation, title, updatedAt: action.at, turns: [...conversation.turns, turn] };
    }
    case "chunk":
      if (action.text.length === 0) {
        return conversation;
      }
      return updateStreaming(conversation, action.turnId, action.at, (answer) => ({
        ...answer,
        text: answer.text + action.text,
      }));
    case "complete":
      return finish(conversation, action.turnId, action.at, "complete", null);
    case "stop":
      return finish(conversation, action.turnId, action.at, "stopped", null);
    case "interrupt": {
      const next = finish(conversation, action.turnId, action.at, "interrupted", action.reason);
      return next === conversation ? next : addNote(next, action.turnId, INTERRUPTED_NOTE, action.at);
    }
    case "fail":
      return finish(conversation, action.turnId, action.at, "error", action.error);
    case "regenerate": {
      const last = lastTurn(conversation);
      if (!last || last.answer?.status === "streaming") {
        return conversation;
      }
      return replaceLast(
        conversation,
        { ...last, answer: { text: "", status: "streaming", error: null }, notes: [] },
        action.at,
      );
    }
    case "editLast": {
      const last = lastTurn(conversation);
      if (!last || last.answer?.status === "streaming") {
        return conversation;
      }
      const edited: Turn = {
        ...last,
        question: { ...last.question, text: action.text, display: null },
        answer: { text: "", status: "streaming", error: null },
        notes: [],
      };
      const title =
        conversation.customTitle || conversation.turns.length > 1 ? conversation.title : makeTitle(action.text);
      return { ...replaceLast(conversation, edited, action.at), title };
    }
    case "addNote":
      return addNote(conversation, action.turnId, action.note, action.at);
    case "rename":
      return { ...conversation, title: cleanTitle(action.title), customTitle: true, updatedAt: action.at };
    case "recover": {
      const turn = streamingTurn(conversation);
      if (!turn) {
        return conversation;
      }
      return reduceConversation(conversation, {
        type: "interrupt",
        turnId: turn.id,
        reason: "The window was closed or reloaded while the answer was being written.",
        at: action.at,
      });
    }
  }
}

function updateStreaming(
  conversation: Conversation,
  turnId: string,
  at: number,
  update: (answer: Answer) => Answer,
): Conversation {
  const last = lastTurn(conversation);
  if (!last || last.id !== turnId || last.answer?.status !== "streaming") {
    return conversation;
  }
  return replaceLast(conversation, { ...last, answer: update(last.answer) }, at);
}

function finish(
  conversation: Conversation,
  turnId: string,
  at: number,
  status: AnswerStatus,
  error: string | null,
): Conversation {
  return updateStreaming(conversation, turnId, at, (answer) => ({ ...answer, status, error }));
}

function addNote(conversation: Conversation, turnId: string, note: string, at: number): Conversation {
  const index = conversation.turns.findIndex((turn) => turn.id === turnId);
  if (index < 0) {
    return conversation;
  }
  const turn = conversation.turns[index]!;
  if (turn.notes.includes(note)) {
    return conversation;
  }
  const turns = conversation.turns.slice();
  turns[index] = { ...turn, notes: [...turn.notes, note] };
  return { ...conversation, turns, updatedAt: at };
}

function replaceLast(conversation: Conversation, turn: Turn, at: number): Conversation {
  const turns = conversation.turns.slice(0, -1);
  turns.push(turn);
  return { ...conversation, turns, updatedAt: at };
}
