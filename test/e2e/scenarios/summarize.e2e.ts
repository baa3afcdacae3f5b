import assert from "node:assert/strict";
import fs from "node:fs";
import { expectedChatReply } from "../../fixtures/gguf/index";
import { scenario } from "../lib/scenario";

const REPLY = expectedChatReply().text;

/** ~8 KB of plain functions: far more than a 1024-token chat context holds in one prompt. */
function bigSource(): string {
  return Array.from(
    { length: 60 },
    (_, i) => `export function step${i}(value) {\n    const next = value + ${i};\n    return next * 2;\n}\n`,
  ).join("\n");
}

scenario(
  "summarize selection",
  {
    waitForStatus: /Local Code: bigram/,
    settings: { "localCode.chat.contextSize": 2048, "localCode.chat.maxTokens": 256 },
  },
  (s) => {
    it("summarizes the selected lines from the command palette into the chat view", async () => {
      await s.wb.openFile("src/math.js");
      await s.wb.focusEditor();
      await s.wb.page.keyboard.press("Control+Home");
      for (let i = 0; i < 3; i++) await s.wb.page.keyboard.press("Shift+ArrowDown");
      await s.wb.step("run summarize", () => s.wb.runCommand("Local Code: Summarize Selection"));
      const view = await s.wb.waitForWebviewView({ selector: "#chat-input" });
      const turn = view
        .locator("#messages .turn")
        .filter({ hasText: /math\.js/ })
        .last();
      const answer = turn.locator(".message.assistant.status-complete .markdown-body");
      await answer.waitFor({ state: "visible", timeout: 90_000 });
      assert.equal((await answer.innerText()).trim(), REPLY);
      const question = await turn.innerText();
      assert.match(question, /math\.js:1-3/);
      await s.wb.screenshot("summary in chat");
    });

    it("summarizes a file larger than the context in parts and combines them", async () => {
      fs.writeFileSync(s.workspaceFile("src/big.js"), bigSource());
      await s.wb.openFile("src/big.js");
      await s.wb.step("run summarize (no selection: whole file)", () =>
        s.wb.runCommand("Local Code: Summarize Selection"),
      );
      const view = await s.wb.waitForWebviewView({ selector: "#chat-input" });
      // The view still shows the previous exchange for a moment: wait for this one's answer.
      const turn = view
        .locator("#messages .turn")
        .filter({ hasText: /big\.js/ })
        .last();
      await turn.locator(".message.assistant.status-complete").waitFor({ state: "visible", timeout: 120_000 });
      const text = await turn.innerText();
      assert.match(text, /big\.js/);
      assert.match(text, /read in \d+ parts/);
      assert.match(text, /nothing was selected|whole file/i);
      assert.equal((await turn.locator(".message.assistant .markdown-body").innerText()).trim(), REPLY);
      await s.wb.screenshot("combined summary");
    });
  },
);
