import * as assert from "node:assert/strict";
import {
  INTERRUPTED_NOTE,
  createConversation,
  reduceConversation,
  streamingTurn,
  type ConversationAction,
} from "../../../src/core/chat/conversation";
import type { Conversation } from "../../../src/core/chat/types";
import { item } from "./helpers";

function run(conversation: Conversation, ...actions: ConversationAction[]): Conversation {
  return actions.reduce(reduceConversation, conversation);
}

const ask = (turnId: string, text: string): ConversationAction => ({
  type: "ask",
  turnId,
  text,
  display: null,
  context: [],
  at: 2,
});

describe("chat conversation reducer", () => {
  const empty = createConversation("c1", 1);

  it("asking adds a streaming turn and titles the conversation from the first question", () => {
    const next = reduceConversation(empty, {
      type: "ask",
      turnId: "t1",
      text: "How do I **parse** JSON in Go?",
      display: null,
      context: [item()],
      at: 5,
    });
    assert.equal(next.turns.length, 1);
    assert.deepEqual(next.turns[0]!.answer, { text: "", status: "streaming", error: null });
    assert.equal(next.turns[0]!.question.context.length, 1);
    assert.equal(next.title, "How do I parse JSON in Go?");
    assert.equal(next.updatedAt, 5);
    assert.equal(empty.turns.length, 0, "the reducer must not mutate its input");
  });

  it("the title comes from the first question only, and never overrides a custom title", () => {
    const two = run(
      empty,
      ask("t1", "First question"),
      { type: "complete", turnId: "t1", at: 3 },
      ask("t2", "Second question"),
    );
    assert.equal(two.title, "First question");
    const custom = run(createConversation("c2", 1, "Summary of main.ts"), ask("t1", "Summarize this"));
    assert.equal(custom.title, "Summary of main.ts");
  });

  it("streams chunks into the answer and completes it", () => {
    const done = run(
      empty,
      ask("t1", "q"),
      { type: "chunk", turnId: "t1", text: "Hel", at: 3 },
      { type: "chunk", turnId: "t1", text: "lo", at: 3 },
      { type: "complete", turnId: "t1", at: 4 },
    );
    assert.deepEqual(done.turns[0]!.answer, { text: "Hello", status: "complete", error: null });
    assert.equal(streamingTurn(done), undefined);
  });

  it("ignores late chunks after Stop, and chunks for other turns", () => {
    const stopped = run(
      empty,
      ask("t1", "q"),
      { type: "chunk", turnId: "t1", text: "partial", at: 3 },
      { type: "stop", turnId: "t1", at: 4 },
    );
    assert.equal(stopped.turns[0]!.answer!.status, "stopped");
    assert.equal(reduceConversation(stopped, { type: "chunk", turnId: "t1", text: " late", at: 5 }), stopped);
    const streaming = run(empty, ask("t1", "q"));
    assert.equal(reduceConversation(streaming, { type: "chunk", turnId: "other", text: "x", at: 5 }), streaming);
  });

  it("an interrupted answer keeps its partial text, gets a visible note and can be regenerated", () => {
    const interrupted = run(
      empty,
      ask("t1", "q"),
      { type: "chunk", turnId: "t1", text: "half an ans", at: 3 },
      { type: "interrupt", turnId: "t1", reason: "worker crashed", at: 4 },
    );
    assert.deepEqual(interrupted.turns[0]!.answer, {
      text: "half an ans",
      status: "interrupted",
      error: "worker crashed",
    });
    assert.deepEqual(interrupted.turns[0]!.notes, [INTERRUPTED_NOTE]);
    const regenerated = reduceConversation(interrupted, { type: "regenerate", at: 5 });
    assert.deepEqual(regenerated.turns[0]!.answer, { text: "", status: "streaming", error: null });
    assert.deepEqual(regenerated.turns[0]!.notes, [], "old notes go with the old answer");
    assert.equal(regenerated.turns[0]!.question.text, "q");
  });

  it("failing keeps partial text with the error", () => {
    const failed = run(
      empty,
      ask("t1", "q"),
      { type: "chunk", turnId: "t1", text: "so far", at: 3 },
      { type: "fail", turnId: "t1", error: "boom", at: 4 },
    );
    assert.deepEqual(failed.turns[0]!.answer, { text: "so far", status: "error", error: "boom" });
  });

  it("does not regenerate, edit or ask while an answer is streaming", () => {
    const streaming = run(empty, ask("t1", "q"));
    assert.equal(reduceConversation(streaming, { type: "regenerate", at: 9 }), streaming);
    assert.equal(reduceConversation(streaming, { type: "editLast", text: "x", at: 9 }), streaming);
    assert.equal(reduceConversation(streaming, ask("t2", "another")), streaming);
  });

  it("editing the last question replaces it, keeps its context, restarts the answer, and retitles a one-turn chat", () => {
    const answered = run(
      empty,
      { type: "ask", turnId: "t1", text: "wrong question", display: null, context: [item()], at: 2 },
      { type: "complete", turnId: "t1", at: 3 },
    );
    const edited = reduceConversation(answered, { type: "editLast", text: "right question", at: 4 });
    assert.equal(edited.turns.length, 1);
    assert.equal(edited.turns[0]!.question.text, "right question");
    assert.equal(edited.turns[0]!.question.context.length, 1);
    assert.equal(edited.turns[0]!.answer!.status, "streaming");
    assert.equal(edited.title, "right question");
  });

  it("recover marks a streaming answer (saved before a reload) as interrupted and leaves others alone", () => {
    const streaming = run(empty, ask("t1", "q"), { type: "chunk", turnId: "t1", text: "abc", at: 3 });
    const recovered = reduceConversation(streaming, { type: "recover", at: 10 });
    assert.equal(recovered.turns[0]!.answer!.status, "interrupted");
    assert.equal(recovered.turns[0]!.answer!.text, "abc");
    const complete = reduceConversation(streaming, { type: "complete", turnId: "t1", at: 4 });
    assert.equal(reduceConversation(complete, { type: "recover", at: 10 }), complete);
  });

  it("rename sets a custom title (cleaned)", () => {
    const renamed = reduceConversation(empty, { type: "rename", title: "  My\nchat  ", at: 3 });
    assert.equal(renamed.title, "My chat");
    assert.equal(renamed.customTitle, true);
  });

  it("addNote is idempotent and ignores unknown turns", () => {
    const one = run(
      empty,
      ask("t1", "q"),
      { type: "addNote", turnId: "t1", note: "n", at: 3 },
      { type: "addNote", turnId: "t1", note: "n", at: 3 },
    );
    assert.deepEqual(one.turns[0]!.notes, ["n"]);
    assert.equal(reduceConversation(one, { type: "addNote", turnId: "nope", note: "x", at: 4 }), one);
  });
});
