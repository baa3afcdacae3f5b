import assert from "node:assert/strict";
import fs from "node:fs";
import { expectedChatReply } from "../../fixtures/gguf/index";
import { scenario } from "../lib/scenario";
import { sel } from "../lib/workbench";

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
      // @workspace: an identifier defined in a workspace file, and named in two secret files too.
      fs.writeFileSync(
        s.workspaceFile("src/geometry.ts"),
        "// Plane geometry helpers.\n\nexport function hypotenuseLength(a: number, b: number): number {\n  return Math.sqrt(a * a + b * b);\n}\n",
      );
      fs.appendFileSync(s.workspaceFile(".env"), `hypotenuseLength=${SECRET}\n`);
      fs.mkdirSync(s.workspaceFile("deploy"), { recursive: true });
      fs.writeFileSync(s.workspaceFile("deploy/prod.env"), `hypotenuseLength=${SECRET}\n`);
    },
  },
  (s) => {
    it("@ attaches a workspace file, the Problems of the current file and a workspace search; .env is refused, never read", async () => {
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

      // A warning stays until dismissed: dismiss it, so the next refusal must show a fresh one.
      await view.locator("#notice").getByRole("button", { name: "Dismiss" }).click();
      await view.locator("#notice").waitFor({ state: "hidden" });

      await wb.step("current file .env refused", async () => {
        await wb.openFile(".env");
        await wb.runCommand("Local Code: Open Chat");
        await view.locator("#attach-file").click();
        await view.locator("#notice").filter({ hasText: ".env was not attached" }).waitFor({ state: "visible" });
      });
      assert.equal(await chips.count(), 2);

      await wb.step("@workspace nothing found", async () => {
        await input.focus();
        await input.press("@");
        await wb.page.locator(sel.quickInputTitle).filter({ hasText: PICKER }).waitFor({ state: "visible" });
        // "workspace <words>" typed in the picker searches straight away.
        await wb.page.locator(sel.quickInputBox).fill("workspace zzqxwv_nowhere");
        await wb.screenshot("workspace typed in the picker");
        await wb.page.locator(sel.quickInputBox).press("Enter");
        await view
          .locator("#notice")
          .filter({ hasText: "Nothing in the workspace matches “zzqxwv_nowhere”" })
          .waitFor({ state: "visible" });
      });
      assert.equal(await chips.count(), 2, "nothing found: no chip");

      await wb.step("@workspace search", async () => {
        await input.fill("Where is hypotenuseLength defined? ");
        await input.press("End");
        await input.press("@");
        await wb.pickQuickItem(PICKER, "Search the workspace…");
        // The input box asks, prefilled with the question typed so far.
        const box = wb.page.locator(sel.quickInputBox);
        await wb.page
          .locator(sel.quickInputTitle)
          .filter({ hasText: "Search the workspace" })
          .waitFor({ state: "visible" });
        assert.equal(await box.inputValue(), "Where is hypotenuseLength defined?");
        await wb.screenshot("workspace query box");
        await box.press("Enter");
        await chips.filter({ hasText: "workspace: Where is hypotenuseLength defined?" }).waitFor({ state: "visible" });
      });
      const searchChip = chips.filter({ hasText: "workspace:" });
      const tooltip = (await searchChip.getAttribute("title")) ?? "";
      await wb.screenshot("workspace search chip");
      // The tooltip lists the snippets: the definition, never a secret file.
      assert.match(tooltip, /src\/geometry\.ts:1-5/);
      assert.doesNotMatch(tooltip, /\.env/);
      assert.equal(await chips.count(), 3);

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
      assert.match(turnText, /workspace: Where is hypotenuseLength defined\?/);
      const sentSearch = turn.locator(".context-chip").filter({ hasText: "workspace:" });
      assert.match((await sentSearch.getAttribute("title")) ?? "", /src\/geometry\.ts:1-5/);
      await wb.screenshot("sent with context");
      assert.ok(!(await view.locator("body").innerText()).includes(SECRET));
    });
  },
);
