import * as assert from "node:assert/strict";
import { parseExtensionMessage, parseWebviewMessage, type ViewState } from "../../../src/core/protocol/webviewProtocol";

const state: ViewState = {
  conversation: {
    id: "c1",
    title: "T",
    turns: [
      {
        id: "t1",
        question: {
          text: "q",
          display: null,
          context: [
            { id: "x1", kind: "selection", label: "a.ts:1", detail: "src/a.ts", tokens: 3, approximate: false },
          ],
        },
        answer: { text: "a", status: "interrupted", error: "worker crashed" },
        notes: ["note"],
      },
    ],
  },
  pendingContext: [],
  history: [{ id: "c1", title: "T", updatedAt: 1, turns: 1 }],
  busy: false,
  engine: { state: "ready", detail: null, model: "m", contextSize: 4096, runsOn: null },
};

describe("webview protocol", () => {
  it("accepts every well-formed webview message", () => {
    const good: unknown[] = [
      { type: "ready" },
      { type: "send", text: "hello" },
      { type: "stop" },
      { type: "regenerate" },
      { type: "editLast", text: "better" },
      { type: "newChat" },
      { type: "openConversation", id: "c1" },
      { type: "deleteConversation", id: "c1" },
      { type: "renameConversation", id: "c1", title: "Name" },
      { type: "attachContext", source: "openFiles" },
      { type: "removeContext", id: "x1" },
      { type: "mention", draft: "" },
      { type: "mention", draft: "where is the area computed?" },
      { type: "codeAction", action: "insert", code: "x", language: "ts" },
      { type: "codeAction", action: "copy", code: "", language: null },
      { type: "codeAction", action: "apply", code: "x", language: "js", turnId: "t-1" },
      { type: "copyText", text: "answer" },
    ];
    for (const message of good) {
      assert.equal(parseWebviewMessage(message).ok, true, JSON.stringify(message));
    }
  });

  it("rejects malformed, unknown or over-sized webview messages", () => {
    const bad: unknown[] = [
      null,
      "ready",
      42,
      {},
      { type: "launchMissiles" },
      { type: "send" },
      { type: "send", text: "   " },
      { type: "send", text: 5 },
      { type: "send", text: "x".repeat(100_001) },
      { type: "send", text: "hi", extra: true },
      { type: "openConversation", id: "../../etc" },
      { type: "openConversation", id: "" },
      { type: "attachContext", source: "wholeDisk" },
      { type: "mention" },
      { type: "mention", draft: "x".repeat(100_001) },
      { type: "mention", draft: "", path: "/etc/passwd" },
      { type: "codeAction", action: "run", code: "rm -rf /", language: null },
      { type: "codeAction", action: "newFile", code: "x", language: 'ts"><script>' },
      { type: "codeAction", action: "copy", code: "x" },
      { type: "codeAction", action: "apply", code: "x", language: null, turnId: "../t" },
      { type: "renameConversation", id: "c1", title: "" },
    ];
    for (const message of bad) {
      const result = parseWebviewMessage(message);
      assert.equal(result.ok, false, JSON.stringify(message));
      if (!result.ok) assert.match(result.error, /^invalid message/);
    }
  });

  it("trims questions before validating", () => {
    const result = parseWebviewMessage({ type: "send", text: "  hi  " });
    assert.ok(result.ok && result.message.type === "send" && result.message.text === "hi");
  });

  it("accepts well-formed extension messages and rejects bad ones", () => {
    assert.equal(parseExtensionMessage({ type: "state", state }).ok, true);
    assert.equal(parseExtensionMessage({ type: "chunk", conversationId: "c1", turnId: "t1", text: "x" }).ok, true);
    assert.equal(parseExtensionMessage({ type: "focusInput" }).ok, true);
    assert.equal(parseExtensionMessage({ type: "notice", level: "info", message: "m" }).ok, true);

    assert.equal(parseExtensionMessage({ type: "chunk", turnId: "t1", text: "x" }).ok, false);
    assert.equal(parseExtensionMessage({ type: "notice", level: "fatal", message: "m" }).ok, false);
    assert.equal(parseExtensionMessage({ type: "eval", code: "alert(1)" }).ok, false);
    const badStatus = structuredClone(state) as unknown as {
      conversation: { turns: { answer: { status: string } }[] };
    };
    badStatus.conversation.turns[0]!.answer.status = "exploded";
    assert.equal(parseExtensionMessage({ type: "state", state: badStatus }).ok, false);
    const extraField = structuredClone(state) as unknown as Record<string, unknown>;
    extraField.html = "<script>";
    assert.equal(parseExtensionMessage({ type: "state", state: extraField }).ok, false);
  });
});
