import assert from "node:assert/strict";
import type { Locator } from "playwright-core";
import {
  ENDLESS_REPLY,
  ensureFixture,
  expectedScriptedChatReply,
  fencedBlocks,
  fixturePath,
} from "../../fixtures/gguf/index";
import { ChatView, waitUntil } from "../lib/chatView";
import { scenario } from "../lib/scenario";

/**
 * The endless fixture writes an intro, a code block, then "Digits: 0123…" until maxTokens.
 * 6,000 tokens take long enough to press Stop (several seconds even unloaded: ~800 tokens/s on
 * one thread), and short enough for a whole answer to prove the worker is free again.
 */
const MAX_TOKENS = 6000;
const FULL = expectedScriptedChatReply(ENDLESS_REPLY, MAX_TOKENS).text;
const BLOCK = fencedBlocks(FULL)[0]!;
const INTRO = ENDLESS_REPLY.pieces[0]!.trim();
/** The last paragraph of the whole answer ("Digits: 0123…"): what follows the code block. */
const TAIL = FULL.slice(FULL.lastIndexOf("```") + 3).trim();
const TAIL_START = ENDLESS_REPLY.pieces.at(-1)!.trim();

const settings = {
  "localCode.chat.model": fixturePath("bigram-chat-endless"),
  "localCode.chat.maxTokens": MAX_TOKENS,
  // The answer may take half the window at most: 16k leaves room for it and the history.
  "localCode.chat.contextSize": 16_384,
  "localCode.completion.enabled": false,
};

function tail(chat: ChatView, turn: Locator): Locator {
  return chat.body(turn).locator(":scope > p").last();
}

/** Waits until the answer streams its never-ending part (some digits are visible). */
async function waitForDigits(chat: ChatView, turn: Locator): Promise<void> {
  await waitUntil(
    chat.wb,
    async () => {
      const text = await tail(chat, turn)
        .innerText({ timeout: 1000 })
        .catch(() => "");
      return text.length >= TAIL_START.length + 10 && TAIL.startsWith(text);
    },
    60_000,
    "the digits to stream",
  );
  assert.equal(await chat.status(turn), "streaming");
}

/** A stopped answer: marked Stopped, not growing, its text an exact prefix of the whole answer. */
async function expectStopped(chat: ChatView, turn: Locator): Promise<string> {
  await chat.waitForStatus(turn, "stopped", 30_000).catch(async (e: unknown) => {
    throw new Error(`the answer is ${await chat.status(turn)}, not stopped (did it finish before Stop?): ${String(e)}`);
  });
  await chat.expectStableText(chat.body(turn), 3000);
  assert.match(await turn.locator(".answer-status.status-stopped").innerText(), /Stopped/);
  assert.equal(await chat.body(turn).locator("p").first().innerText(), INTRO);
  assert.equal(await chat.body(turn).locator("pre code").textContent(), BLOCK.code);
  const partial = await tail(chat, turn).innerText();
  assert.ok(
    TAIL.startsWith(partial),
    `the partial answer is not a prefix of the exact one: ${JSON.stringify(partial.slice(-40))}`,
  );
  assert.ok(partial.length < TAIL.length, "the answer is complete, not stopped");
  assert.equal(await chat.frame.locator("#stop-button").isVisible(), false);
  assert.equal(await chat.frame.locator("#send-button").isVisible(), true);
  return partial;
}

/** A whole answer: complete, exactly the fixture's text up to maxTokens. */
async function expectComplete(chat: ChatView, turn: Locator): Promise<void> {
  await chat.waitForStatus(turn, "complete", 300_000);
  assert.equal(await chat.body(turn).locator("p").first().innerText(), INTRO);
  assert.equal(await chat.body(turn).locator("pre code").textContent(), BLOCK.code);
  assert.equal(await tail(chat, turn).innerText(), TAIL);
  assert.equal(await turn.locator(".answer-status").count(), 0, "a complete answer has no status line");
}

scenario(
  "chat stop and regenerate",
  {
    waitForStatus: /Local Code: bigram/,
    settings,
    timeoutMs: 480_000,
    beforeOpen: async () => void (await ensureFixture("bigram-chat-endless")),
  },
  (s) => {
    let chat: ChatView;

    it("Stop mid-stream keeps the partial answer, marked Stopped, and the text stops growing", async () => {
      chat = await s.wb.step("open chat", () => ChatView.open(s.wb));
      const turn = await chat.ask("Count for me");
      await s.wb.step("streaming", () => waitForDigits(chat, turn));
      await chat.frame.locator("#stop-button").click();
      await s.wb.step("stopped", () => expectStopped(chat, turn));
      assert.equal(await turn.locator(".regenerate").isVisible(), true);
    });

    it("the worker is free again: the next question gets its whole answer", async () => {
      const turn = await chat.ask("Count again");
      await s.wb.step("whole answer", () => expectComplete(chat, turn));
      assert.equal(await chat.turns.count(), 2);
      // The stopped answer above is unchanged.
      assert.equal(await chat.status(chat.turns.first()), "stopped");
    });

    it("Escape in the question box stops; Regenerate writes a fresh whole answer", async () => {
      const turn = await chat.ask("Count once more");
      await waitForDigits(chat, turn);
      await chat.input.press("Escape");
      await s.wb.step("stopped with Escape", () => expectStopped(chat, turn));
      await turn.locator(".regenerate").click();
      await s.wb.step("regenerated", () => expectComplete(chat, turn));
      assert.equal(await chat.turns.count(), 3);
    });

    it("Edit on the last question: the edited question's answer replaces the old one", async () => {
      const turn = chat.lastTurn;
      await turn.locator(".edit-question").click();
      await chat.frame.locator("#edit-banner").waitFor({ state: "visible" });
      assert.equal(await chat.input.inputValue(), "Count once more");
      await chat.input.fill("Count from zero");
      await chat.input.press("Enter");
      // The old answer was complete; the edited question's answer starts again from nothing.
      await chat.waitForStatus(turn, "streaming", 30_000);
      assert.equal(await turn.locator(".question-text").innerText(), "Count from zero");
      await waitForDigits(chat, turn);
      await chat.input.press("Escape");
      await s.wb.step("edited answer stopped", () => expectStopped(chat, turn));
      assert.equal(await chat.turns.count(), 3, "editing added a turn instead of replacing the last one");
    });

    it("after a window reload the conversation is back, the stopped answer still marked Stopped", async () => {
      await s.wb.page.reload();
      await s.wb.waitForReady();
      await s.wb.waitForStatusBarItem(/Local Code: bigram/, 60_000);
      chat = await ChatView.open(s.wb);
      await chat.waitForTurnCount(3);
      const questions = await chat.turns.locator(".question-text").allInnerTexts();
      assert.deepEqual(questions, ["Count for me", "Count again", "Count from zero"]);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push(await chat.status(chat.turns.nth(i)));
      assert.deepEqual(statuses, ["stopped", "complete", "stopped"]);
      assert.equal(await tail(chat, chat.turns.nth(1)).innerText(), TAIL);
      await s.wb.screenshot("after reload");
    });
  },
);
