import * as assert from "node:assert/strict";
import {
  applyChunk,
  composerKeyAction,
  formatTokens,
  nextAnnouncement,
  parseSavedState,
  whereQuestionsGo,
  type KeyInput,
} from "../../../src/core/chat/webviewModel";
import type { ViewState } from "../../../src/core/protocol/webviewProtocol";

function key(k: string, mods: Partial<KeyInput> = {}): KeyInput {
  return { key: k, shiftKey: false, ctrlKey: false, altKey: false, metaKey: false, isComposing: false, ...mods };
}
const idle = { busy: false, editing: false, empty: false, canEditLast: true };

function viewState(status: "streaming" | "complete"): ViewState {
  return {
    conversation: {
      id: "c",
      title: "t",
      turns: [
        {
          id: "t1",
          question: { text: "q", display: null, context: [] },
          answer: { text: "ab", status, error: null },
          notes: [],
        },
      ],
    },
    pendingContext: [],
    history: [],
    busy: status === "streaming",
    engine: { state: "ready", detail: null, model: null, contextSize: null, runsOn: null },
  };
}

describe("chat webview model", () => {
  it("Enter sends, Shift+Enter is a new line, nothing sends while busy or composing", () => {
    assert.equal(composerKeyAction(key("Enter"), idle), "send");
    assert.equal(composerKeyAction(key("Enter", { shiftKey: true }), idle), null);
    assert.equal(composerKeyAction(key("Enter", { isComposing: true }), idle), null);
    assert.equal(composerKeyAction(key("Enter"), { ...idle, busy: true }), null);
  });

  it("Escape stops a running answer, else cancels editing", () => {
    assert.equal(composerKeyAction(key("Escape"), { ...idle, busy: true }), "stop");
    assert.equal(composerKeyAction(key("Escape"), { ...idle, editing: true }), "cancelEdit");
    assert.equal(composerKeyAction(key("Escape"), idle), null);
  });

  it("ArrowUp in an empty box edits the last question", () => {
    assert.equal(composerKeyAction(key("ArrowUp"), { ...idle, empty: true }), "editLast");
    assert.equal(composerKeyAction(key("ArrowUp"), idle), null);
    assert.equal(composerKeyAction(key("ArrowUp"), { ...idle, empty: true, canEditLast: false }), null);
    assert.equal(composerKeyAction(key("ArrowUp"), { ...idle, empty: true, busy: true }), null);
  });

  it("applies chunks only to the matching streaming answer", () => {
    const streaming = viewState("streaming");
    assert.equal(applyChunk(streaming, "c", "t1", "cd").conversation.turns[0]!.answer!.text, "abcd");
    assert.equal(streaming.conversation.turns[0]!.answer!.text, "ab", "does not mutate");
    assert.equal(applyChunk(streaming, "other", "t1", "x"), streaming);
    assert.equal(applyChunk(streaming, "c", "t2", "x"), streaming);
    const done = viewState("complete");
    assert.equal(applyChunk(done, "c", "t1", "x"), done);
  });

  it("announces whole sentences while streaming, the rest at the end", () => {
    assert.deepEqual(nextAnnouncement("Hello there. How ar", 0, false), { say: "Hello there. ", offset: 13 });
    assert.deepEqual(nextAnnouncement("Hello there. How ar", 13, false), { say: "", offset: 13 });
    assert.deepEqual(nextAnnouncement("Hello there. How are you", 13, true), { say: "How are you", offset: 24 });
  });

  it("restores only a valid saved state", () => {
    assert.equal(parseSavedState(undefined).draft, "");
    assert.equal(parseSavedState({ version: 1, draft: 5 }).draft, "");
    const saved = parseSavedState({
      version: 1,
      draft: "half typed",
      editing: true,
      historyOpen: false,
      scrollTop: 10,
      pinned: false,
      lastState: viewState("complete"),
    });
    assert.equal(saved.draft, "half typed");
    assert.equal(saved.lastState?.conversation.id, "c");
  });

  it("formats token counts", () => {
    assert.equal(formatTokens(1234, false), "1,234 tokens");
    assert.equal(formatTokens(1, true), "≈1 token");
  });
});

describe("whereQuestionsGo (the empty chat's privacy line)", () => {
  it("promises that nothing leaves the machine only when the model runs locally", () => {
    assert.match(whereQuestionsGo(null), /nothing leaves your machine/);
  });

  it("names the remote server's host instead when the backend is remote", () => {
    const text = whereQuestionsGo("https://gpu-box.example:8443/api");
    assert.doesNotMatch(text, /nothing leaves/);
    assert.match(text, /gpu-box\.example:8443/);
    assert.doesNotMatch(text, /\/api/);
  });
});
