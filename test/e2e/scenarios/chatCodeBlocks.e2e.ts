import assert from "node:assert/strict";
import fs from "node:fs";
import type { Locator } from "playwright-core";
import {
  CODE_REPLY,
  ensureFixture,
  expectedScriptedChatReply,
  fencedBlocks,
  fixturePath,
} from "../../fixtures/gguf/index";
import { ChatView, waitUntil } from "../lib/chatView";
import { scenario, type ScenarioContext } from "../lib/scenario";

/** The model's exact answer and its one code block, computed from the fixture's declared pieces. */
const REPLY = expectedScriptedChatReply(CODE_REPLY).text;
const BLOCK = fencedBlocks(REPLY)[0]!;
const FIRST_PARAGRAPH = CODE_REPLY.pieces[0]!.trim();

const settings = {
  "workbench.colorTheme": "Default Dark Modern",
  "localCode.chat.model": fixturePath("bigram-chat-code"),
  // No ghost text: it would mix into the editor text these tests read.
  "localCode.completion.enabled": false,
};
const beforeOpen = async (): Promise<void> => {
  await ensureFixture("bigram-chat-code");
};

/** Checks a completed answer against the fixture's markdown, block by block. */
async function expectCodeAnswer(chat: ChatView, turn: Locator): Promise<void> {
  await chat.waitForStatus(turn, "complete");
  const body = chat.body(turn);
  assert.equal(await body.locator("p").first().innerText(), FIRST_PARAGRAPH);
  assert.equal(await body.locator(".code-block").count(), 1);
  assert.equal(await body.locator("pre code").textContent(), BLOCK.code);
  assert.equal(await body.locator(".code-block .code-language").innerText(), BLOCK.language);
  assert.ok((await body.locator("pre code .hljs-keyword").count()) > 0, "the code block is not highlighted");
  // The block is painted by its container: no inline-code background box behind each line.
  assert.equal(
    await body.locator("pre code").evaluate((code) => getComputedStyle(code).backgroundColor),
    "rgba(0, 0, 0, 0)",
  );
  assert.equal(await body.locator("p code").last().innerText(), /`([^`]+)`/.exec(CODE_REPLY.pieces.at(-1)!)![1]);
}

/** Reads the browser clipboard (permissions granted on the context), waiting for `expected`. */
async function waitForClipboard(s: ScenarioContext, expected: string): Promise<void> {
  let last = "";
  await waitUntil(
    s.wb,
    async () => {
      last = await s.wb.page
        .evaluate(() => navigator.clipboard.readText())
        .catch((e: unknown) => `<unreadable: ${String(e)}>`);
      return last === expected;
    },
    20_000,
    `the clipboard to hold ${JSON.stringify(expected.slice(0, 60))}… (it has ${JSON.stringify(last.slice(0, 200))})`,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}; last read: ${JSON.stringify(last.slice(0, 200))}`);
  });
}

scenario("chat code blocks", { waitForStatus: /Local Code: bigram/, settings, beforeOpen }, (s) => {
  let chat: ChatView;
  let original = "";
  /** Offset of the editor's cursor in src/math.js when the question was asked (start of line 5). */
  let cursorOffset = 0;

  it("answers with the exact markdown and a highlighted code block (dark theme)", async () => {
    original = fs.readFileSync(s.workspaceFile("src/math.js"), "utf8");
    cursorOffset = original.split("\n").slice(0, 4).join("\n").length + 1;
    await s.wb.step("cursor at line 5 of math.js", async () => {
      await s.wb.openFile("src/math.js");
      await s.wb.focusEditor();
      await s.wb.page.keyboard.press("Control+Home");
      for (let i = 0; i < 4; i++) await s.wb.page.keyboard.press("ArrowDown");
    });
    chat = await s.wb.step("open chat", () => ChatView.open(s.wb));
    const turn = await chat.ask("Write an add function");
    await s.wb.step("answer complete", () => expectCodeAnswer(chat, turn));
    await chat.screenshot("chat code block dark");
  });

  it("Copy puts the exact code on the clipboard, and the answer's Copy the exact markdown", async () => {
    await s.wb.context.grantPermissions(["clipboard-read", "clipboard-write"], {
      origin: new URL(s.session.server.url).origin,
    });
    const turn = chat.lastTurn;
    await turn.locator('.code-block button[data-action="copy"]').click();
    await waitForClipboard(s, BLOCK.code);
    await turn.locator(".copy-answer").click();
    await waitForClipboard(s, REPLY);
  });

  it("Insert at Cursor puts exactly the code at the editor's cursor", async () => {
    await chat.lastTurn.locator('.code-block button[data-action="insert"]').click();
    const expected = original.slice(0, cursorOffset) + BLOCK.code + original.slice(cursorOffset);
    // The editor shows the edit first (the whole short file is in view); saving writes the model's text.
    let shown = "";
    await s.wb.step("inserted", () =>
      waitUntil(
        s.wb,
        async () => (shown = await s.wb.activeEditorText()) === expected,
        30_000,
        "the code in the editor",
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}; the editor shows ${JSON.stringify(shown)}`);
      }),
    );
    await s.wb.save();
    await s.waitForFile("src/math.js", expected);
  });

  it("New File opens an untitled document of the block's language with exactly the code", async () => {
    await chat.lastTurn.locator('.code-block button[data-action="newFile"]').click();
    await s.wb.step("new file", () =>
      s.wb.page
        .locator(".tabs-container .tab.active")
        .filter({ hasText: /Untitled-\d+/ })
        .waitFor({ state: "visible", timeout: 30_000 }),
    );
    // The document's lines as the editor renders them: the whole (short) document is in view.
    assert.equal(await s.wb.activeEditorText(), BLOCK.code);
    await s.wb.waitForStatusBarItem(/^JavaScript$/, 30_000);
  });

  it("Arrow Up in the empty box edits the last question; sending replaces that exchange", async () => {
    const turnsBefore = await chat.turns.count();
    await chat.input.click();
    assert.equal(await chat.input.inputValue(), "");
    await chat.input.press("ArrowUp");
    assert.equal(await chat.input.inputValue(), "Write an add function");
    await chat.frame.locator("#edit-banner").waitFor({ state: "visible" });
    await chat.input.fill("Write the add function again");
    await chat.input.press("Enter");
    await waitUntil(
      s.wb,
      async () => (await chat.lastTurn.locator(".question-text").innerText()) === "Write the add function again",
      30_000,
      "the edited question",
    );
    assert.equal(await chat.turns.count(), turnsBefore, "editing added a turn instead of replacing the last one");
    assert.equal(await chat.frame.locator("#edit-banner").isVisible(), false);
    await s.wb.step("edited answer", () => expectCodeAnswer(chat, chat.lastTurn));
  });

  it("Shift+Enter adds a line without sending; Enter sends", async () => {
    const turnsBefore = await chat.turns.count();
    await chat.input.click();
    await chat.input.pressSequentially("line one");
    await chat.input.press("Shift+Enter");
    await chat.input.pressSequentially("line two");
    assert.equal(await chat.input.inputValue(), "line one\nline two");
    assert.equal(await chat.turns.count(), turnsBefore, "Shift+Enter sent the question");
    await chat.input.press("Enter");
    await chat.waitForTurnCount(turnsBefore + 1);
    assert.equal(await chat.input.inputValue(), "");
    assert.equal(await chat.lastTurn.locator(".question-text").innerText(), "line one\nline two");
    await expectCodeAnswer(chat, chat.lastTurn);
  });
});

scenario(
  "chat code blocks in Default Light Modern",
  {
    waitForStatus: /Local Code: bigram/,
    settings: { ...settings, "workbench.colorTheme": "Default Light Modern" },
    beforeOpen,
  },
  (s) => {
    it("renders the code-block answer in the light theme", async () => {
      const chat = await ChatView.open(s.wb);
      const turn = await chat.ask("Write an add function");
      await expectCodeAnswer(chat, turn);
      await chat.screenshot("chat code block light");
    });
  },
);
