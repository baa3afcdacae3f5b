import assert from "node:assert/strict";
import fs from "node:fs";
import { expectedChatReply } from "../../fixtures/gguf/index";
import { scenario } from "../lib/scenario";

const PICKER = "Add context to the chat";
const SECRET = "sk-e2e-do-not-read-4242";

scenario(
  "chat context picker",
  {
    waitForStatus: /Local Code: bigram/,
    beforeOpen: async (s) => {
      fs.writeFileSync(s.workspaceFile(".env"), `API_KEY=${SECRET}\nDB_PASSWORD=hunter2\n`);
      // A type error TypeScript reports in the Problems list.
      fs.writeFileSync(s.workspaceFile("src/broken.ts"), 'export const count: number = "three";\n');
    },
  },
  (s) => {
    it("@ attaches a workspace file and the Problems of the current file; .env is refused, never read", async () => {
      const wb = s.wb;
      await wb.step("problems reported", async () => {
        await wb.openFile("src/broken.ts");
        await wb.runCommand("Focus Problems (Errors, Warnings, Infos)");
        await wb.page
          .locator(".markers-panel .monaco-list-row")
          .filter({ hasText: "is not assignable" })
          .first()
          .waitFor({ state: "visible", timeout: 120_000 });
      });
      await wb.openFile("src/broken.ts");
      await wb.runCommand("Local Code: Open Chat");
      const view = await wb.waitForWebviewView({ selector: "#chat-input" });
      const input = view.locator("#chat-input");
      const chips = view.locator("#context-chips .context-chip");

      await wb.step("@file", async () => {
        await input.click();
        await input.pressSequentially("Explain @");
        await wb.pickQuickItem(PICKER, "math.js");
        await chips.filter({ hasText: "math.js" }).waitFor({ state: "visible" });
      });
      assert.equal(await input.inputValue(), "Explain ", "the typed @ is not kept in the question");

      await wb.step("@problems", async () => {
        await input.press("@");
        await wb.pickQuickItem(PICKER, "Problems in src/broken.ts");
        await chips.filter({ hasText: "Problems: broken.ts (1)" }).waitFor({ state: "visible" });
      });

      await wb.step("@.env refused", async () => {
        await input.press("@");
        await wb.pickQuickItem(PICKER, ".env");
        await view
          .locator("#notice")
          .filter({ hasText: ".env was not attached: it matches localCode.context.exclude" })
          .waitFor({ state: "visible" });
      });
      await wb.screenshot("chips and the refusal");
      assert.deepEqual(
        (await chips.allInnerTexts()).map((t) => t.split("\n")[0].trim()),
        ["math.js", "Problems: broken.ts (1)"],
      );

      await wb.step("current file .env refused", async () => {
        await wb.openFile(".env");
        await wb.runCommand("Local Code: Open Chat");
        await view.locator("#attach-file").click();
        await view.locator("#notice").filter({ hasText: ".env was not attached" }).waitFor({ state: "visible" });
      });
      assert.equal(await chips.count(), 2);

      await wb.step("send", async () => {
        await input.fill("Explain these");
        await input.press("Enter");
        const answer = view.locator(".message.assistant.status-complete .markdown-body").last();
        await answer.waitFor({ state: "visible", timeout: 90_000 });
        assert.equal((await answer.innerText()).trim(), expectedChatReply().text);
      });
      // The sent question carries both chips (their content is in the prompt); the secret is nowhere.
      const turn = view.locator("#messages .turn").last();
      const turnText = await turn.innerText();
      assert.match(turnText, /math\.js/);
      assert.match(turnText, /Problems: broken\.ts \(1\)/);
      await wb.screenshot("sent with context");
      assert.ok(!(await view.locator("body").innerText()).includes(SECRET));
    });
  },
);
