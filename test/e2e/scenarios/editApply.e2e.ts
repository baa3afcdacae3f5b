import assert from "node:assert/strict";
import fs from "node:fs";
import { diffReviewLines } from "../../../src/core/edit";
import { ensureFixture, fixturePath } from "../../fixtures/gguf/index";
import { ChatView, waitUntil } from "../lib/chatView";
import { dumpLogOnFailure, EDIT_REWRITE as REWRITE, lenses, topLens, waitForEditorText } from "../lib/editReview";
import { scenario } from "../lib/scenario";

scenario(
  "edit apply from chat",
  {
    waitForStatus: /Local Code: bigram/,
    settings: {
      "localCode.chat.model": fixturePath("bigram-chat-edit"),
      "localCode.completion.enabled": false,
      "workbench.colorTheme": "Default Dark Modern",
    },
    beforeOpen: async () => {
      await ensureFixture("bigram-chat-edit");
    },
  },
  (s) => {
    dumpLogOnFailure(s, "edit apply");
    let chat: ChatView;
    let original = "";

    it("Apply on a code block reviews it against the selection the question was about; Accept All writes it", async () => {
      original = fs.readFileSync(s.workspaceFile("src/math.js"), "utf8");
      await s.wb.openFile("src/math.js");
      await s.wb.focusEditor();
      await s.wb.page.keyboard.press("Control+A");
      await s.wb.runCommand("Local Code: Add Selection to Chat");
      chat = await s.wb.step("open chat", () => ChatView.open(s.wb));
      await chat.frame.locator(".context-chip").first().waitFor({ state: "visible", timeout: 30_000 });
      const turn = await chat.ask("Document add and use Math.imul");
      await s.wb.step("answer complete", () => chat.waitForStatus(turn, "complete"));
      const apply = turn.locator('.code-block button[data-action="apply"]');
      assert.equal(await apply.count(), 1);
      assert.equal(await apply.getAttribute("aria-label"), "Apply to the file (review the changes)");
      await chat.screenshot("chat answer with apply");
      await apply.click();
      await s.wb.step("review shown", () =>
        lenses(s).filter({ hasText: "Accept All" }).first().waitFor({ state: "visible", timeout: 60_000 }),
      );
      // The review tab shows the same merged lines as Edit Selection would: the selection's lines vs the block.
      const merged = diffReviewLines(original.split("\n").slice(0, -1), REWRITE);
      await waitForEditorText(s, [...merged.map((l) => l.text), ""].join("\n"), "the review's merged lines");
      const titles = (await lenses(s).allInnerTexts()).map((t) => t.trim());
      assert.equal(titles.filter((t) => t === "Accept").length, 2, JSON.stringify(titles));
      await s.wb.screenshot("apply review");
      await (await topLens(s, "Accept All")).click();
      const expected = [...REWRITE, ""].join("\n");
      assert.notEqual(expected, original);
      await waitForEditorText(s, expected, "the applied block");
      await waitUntil(s.wb, async () => (await lenses(s).count()) === 0, 30_000, "the lenses to go");
      await s.wb.screenshot("apply accepted");
      await s.wb.save();
      await s.waitForFile("src/math.js", expected);
    });

    it("a file changed since the answer still works: the selection is found where it moved", async () => {
      // Back to the original (one undo), then a line added above the code the question was about.
      await s.wb.focusEditor();
      await s.wb.page.keyboard.press("Control+Z");
      await waitForEditorText(s, original, "the original after one undo");
      await s.wb.page.keyboard.press("Control+Home");
      await s.wb.typeInEditor("const header = 1;\n");
      await waitForEditorText(s, `const header = 1;\n${original}`, "the added header");
      await s.wb.save();
      await s.waitForFile("src/math.js", `const header = 1;\n${original}`);
      await chat.lastTurn.locator('.code-block button[data-action="apply"]').click();
      await s.wb.step("review shown", () =>
        lenses(s).filter({ hasText: "Accept All" }).first().waitFor({ state: "visible", timeout: 60_000 }),
      );
      await (await topLens(s, "Accept All")).click();
      const expected = ["const header = 1;", ...REWRITE, ""].join("\n");
      await waitForEditorText(s, expected, "the block applied below the header");
      await s.wb.save();
      await s.waitForFile("src/math.js", expected);
    });
  },
);
