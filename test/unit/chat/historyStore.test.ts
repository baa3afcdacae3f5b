import * as assert from "node:assert/strict";
import { createConversation, reduceConversation } from "../../../src/core/chat/conversation";
import { HISTORY_KEYS, HistoryStore } from "../../../src/core/chat/historyStore";
import type { Conversation } from "../../../src/core/chat/types";
import { MemoryLog, MemoryStore } from "./helpers";

function conversation(id: string, at: number, question = `question ${id}`): Conversation {
  const c = reduceConversation(createConversation(id, at), {
    type: "ask",
    turnId: `${id}-t`,
    text: question,
    display: null,
    context: [],
    at,
  });
  return reduceConversation(c, { type: "complete", turnId: `${id}-t`, at });
}

describe("chat history store", () => {
  it("saves, lists (newest first), loads and deletes conversations", async () => {
    const store = new MemoryStore();
    const history = new HistoryStore(store);
    await history.save(conversation("a", 1));
    await history.save(conversation("b", 2));
    assert.deepEqual(
      history.list().map((e) => [e.id, e.title, e.turns]),
      [
        ["b", "question b", 1],
        ["a", "question a", 1],
      ],
    );
    assert.equal(history.load("a")!.turns[0]!.question.text, "question a");
    await history.delete("a");
    assert.deepEqual(
      history.list().map((e) => e.id),
      ["b"],
    );
    assert.equal(history.load("a"), undefined);
    assert.equal(store.data.has(HISTORY_KEYS.conversation("a")), false);
  });

  it("does not keep empty conversations", async () => {
    const history = new HistoryStore(new MemoryStore());
    await history.save(createConversation("empty", 1));
    assert.deepEqual(history.list(), []);
  });

  it("keeps at most maxConversations, deleting the oldest", async () => {
    const store = new MemoryStore();
    const history = new HistoryStore(store, { maxConversations: 3 });
    for (let i = 0; i < 5; i++) await history.save(conversation(`c${i}`, i));
    assert.deepEqual(
      history.list().map((e) => e.id),
      ["c4", "c3", "c2"],
    );
    assert.equal(store.data.has(HISTORY_KEYS.conversation("c0")), false);
  });

  it("a conversation saved mid-answer comes back interrupted with its partial text (window reload)", async () => {
    const store = new MemoryStore();
    let c = reduceConversation(createConversation("r", 1), {
      type: "ask",
      turnId: "t",
      text: "q",
      display: null,
      context: [],
      at: 1,
    });
    c = reduceConversation(c, { type: "chunk", turnId: "t", text: "partial", at: 2 });
    await new HistoryStore(store).save(c);
    const loaded = new HistoryStore(store).load("r")!;
    assert.equal(loaded.turns[0]!.answer!.status, "interrupted");
    assert.equal(loaded.turns[0]!.answer!.text, "partial");
  });

  it("skips corrupt entries instead of throwing, and logs them", async () => {
    const store = new MemoryStore();
    const log = new MemoryLog();
    await store.update(HISTORY_KEYS.conversation("bad"), { version: 1, id: "bad", turns: "nope" });
    await store.update(HISTORY_KEYS.index, "garbage");
    const history = new HistoryStore(store, { log });
    assert.equal(history.load("bad"), undefined);
    assert.deepEqual(history.list(), []);
    assert.ok(log.lines.some((l) => l.startsWith("warn")));
  });

  it("serialises writes and survives a failed one", async () => {
    const store = new MemoryStore();
    const log = new MemoryLog();
    const history = new HistoryStore(store, { log });
    store.failNext = true;
    const first = history.save(conversation("x", 1));
    const second = history.save(conversation("y", 2));
    await Promise.all([first, second]);
    assert.deepEqual(
      history.list().map((e) => e.id),
      ["y"],
    );
    assert.ok(log.lines.some((l) => l.includes("disk full")));
  });

  it("remembers the current conversation", async () => {
    const history = new HistoryStore(new MemoryStore());
    assert.equal(history.currentId(), undefined);
    await history.setCurrentId("abc");
    assert.equal(history.currentId(), "abc");
  });
});
