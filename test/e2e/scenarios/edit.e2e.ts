import assert from "node:assert/strict";
import fs from "node:fs";
import { diffReviewLines } from "../../../src/core/edit";
import { ensureFixture, fixturePath } from "../../fixtures/gguf/index";
import { waitUntil } from "../lib/chatView";
import {
  dumpLogOnFailure,
  EDIT_REWRITE as REWRITE,
  editAll,
  lenses,
  topLens,
  waitForEditorText,
} from "../lib/editReview";
import { scenario } from "../lib/scenario";
import { sel } from "../lib/workbench";

scenario(
  "edit selection",
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
    dumpLogOnFailure(s, "edit");
    let original = "";

    it("streams the rewrite in as a live diff with Accept/Reject per hunk and for all", async () => {
      original = fs.readFileSync(s.workspaceFile("src/math.js"), "utf8");
      const lines = original.split("\n");
      // The selection (Ctrl+A) ends at column 0 of the last, empty line: that line is not edited.
      assert.equal(lines.at(-1), "");
      const merged = diffReviewLines(lines.slice(0, -1), REWRITE);
      await editAll(s, "src/math.js", "Document add and use Math.imul");
      await s.wb.step("review shown", () =>
        lenses(s).filter({ hasText: "Accept All" }).first().waitFor({ state: "visible", timeout: 60_000 }),
      );
      await waitForEditorText(s, [...merged.map((l) => l.text), ""].join("\n"), "the review's merged lines");
      assert.deepEqual(
        merged.filter((l) => l.kind !== "same").map((l) => `${l.kind} ${l.text}`),
        ["added     // Adds two numbers.", "removed     return a * b;", "added     return Math.imul(a, b);"],
      );
      const titles = (await lenses(s).allInnerTexts()).map((t) => t.trim());
      assert.deepEqual(titles.filter((t) => t === "Accept").length, 2, JSON.stringify(titles));
      assert.deepEqual(titles.filter((t) => t === "Reject").length, 2, JSON.stringify(titles));
      // Removed and added lines are painted (whole-line decorations with the diff colours).
      const painted = await s.wb.page
        .locator(`${sel.activeEditor} .view-overlays > div`)
        .evaluateAll(
          (rows) =>
            rows.filter((row) =>
              Array.from(row.children).some(
                (c) => getComputedStyle(c).backgroundColor !== "rgba(0, 0, 0, 0)" && /ced-/.test(c.className),
              ),
            ).length,
        );
      assert.equal(painted, 3);
      await s.wb.screenshot("edit review dark");
    });

    it("Accept of one hunk and Reject of the other leave exactly that file on disk", async () => {
      await (await topLens(s, "Accept")).click();
      const afterAccept = [
        ...diffReviewLines(original.split("\n").slice(0, -1), REWRITE)
          .filter((l) => !(l.hunk === 0 && l.kind === "removed"))
          .map((l) => l.text),
        "",
      ].join("\n");
      await waitForEditorText(s, afterAccept, "the first hunk accepted");
      await waitUntil(
        s.wb,
        async () => (await lenses(s).allInnerTexts()).filter((t) => t.trim() === "Accept").length === 1,
        30_000,
        "one hunk left",
      );
      await s.wb.screenshot("edit review one hunk left");
      await (await topLens(s, "Reject")).click();
      const expected = original.replace(
        "export function add(a, b) {\n",
        "export function add(a, b) {\n    // Adds two numbers.\n",
      );
      assert.notEqual(expected, original);
      await waitForEditorText(s, expected, "the resolved file");
      // The review tab closed and the real file shows the result (one WorkspaceEdit).
      await waitUntil(s.wb, async () => (await lenses(s).count()) === 0, 30_000, "the lenses to go");
      await s.wb.screenshot("edit applied");
      await s.wb.save();
      await s.waitForFile("src/math.js", expected);
    });

    it("one Undo restores the file as it was", async () => {
      await s.wb.focusEditor();
      await s.wb.page.keyboard.press("Control+Z");
      await waitForEditorText(s, original, "the original after one undo");
      await s.wb.save();
      await s.waitForFile("src/math.js", original);
    });
  },
);

/** A long function: the rewrite's answer budget (1.5x the range) keeps the endless fixture streaming for seconds. */
const BIG = [
  "export function big() {",
  ...Array.from({ length: 16 }, (_, i) => `    const v${i} = "${"x".repeat(220)}";`),
  "    return 0;",
  "}",
  "",
].join("\n");

scenario(
  "edit selection escape",
  {
    waitForStatus: /Local Code: bigram/,
    settings: {
      "localCode.chat.model": fixturePath("bigram-chat-edit-endless"),
      "localCode.chat.contextSize": 16_384,
      "localCode.completion.enabled": false,
    },
    beforeOpen: async (s) => {
      fs.writeFileSync(s.workspaceFile("src/big.js"), BIG);
      await ensureFixture("bigram-chat-edit-endless");
    },
  },
  (s) => {
    dumpLogOnFailure(s, "edit");
    it("Escape while the rewrite streams stops it and leaves the file untouched", async () => {
      await editAll(s, "src/big.js", "Count up");
      // Streaming: the first rewritten line is in, shown as added, and the Cancel lens is up.
      await s.wb.step("streaming", () =>
        lenses(s).filter({ hasText: "Cancel (Escape)" }).first().waitFor({ state: "visible", timeout: 60_000 }),
      );
      // The first rewritten line is shown as added above the original, which is not reached yet.
      await waitUntil(
        s.wb,
        async () => (await s.wb.activeEditorText()).startsWith("// counting up\nexport function big() {\n"),
        60_000,
        "the streamed line",
      );
      await s.wb.screenshot("edit streaming");
      assert.ok(
        await lenses(s).filter({ hasText: "Cancel (Escape)" }).first().isVisible(),
        "the answer ended before Escape",
      );
      await s.wb.focusEditor();
      await s.wb.page.keyboard.press("Escape");
      await waitUntil(s.wb, async () => (await lenses(s).count()) === 0, 30_000, "the review to end");
      // The review tab is closed, big.js is shown as it was and was never changed (not even unsaved).
      await s.wb.page
        .locator(".tabs-container .tab.active")
        .filter({ hasText: "big.js" })
        .waitFor({ state: "visible" });
      const shown = await s.wb.activeEditorText();
      assert.ok(
        BIG.startsWith(shown.slice(0, 200)) && shown.length > 100,
        `the editor shows ${JSON.stringify(shown.slice(0, 200))}`,
      );
      assert.equal(await s.wb.page.locator(".tabs-container .tab.dirty").count(), 0, "a file was changed");
      assert.equal(fs.readFileSync(s.workspaceFile("src/big.js"), "utf8"), BIG);
      await s.wb.screenshot("edit cancelled");
    });
  },
);
