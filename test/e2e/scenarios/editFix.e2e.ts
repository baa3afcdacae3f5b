import assert from "node:assert/strict";
import fs from "node:fs";
import { extractRewrite } from "../../../src/core/edit";
import { ensureFixture, expectedScriptedChatReply, fixturePath, TESTS_REPLY } from "../../fixtures/gguf/index";
import { waitUntil } from "../lib/chatView";
import { dumpLogOnFailure, lenses, topLens, waitForEditorText } from "../lib/editReview";
import { scenario } from "../lib/scenario";
import { sel } from "../lib/workbench";

/** src/math.js with a syntax error on line 6 (the line the fix fixture answers with, broken). */
const BROKEN = [
  "export function add(a, b) {",
  "    return a + b;",
  "}",
  "",
  "export function multiply(a, b) {",
  "    return a * * b;",
  "}",
  "",
].join("\n");
const FIXED = BROKEN.replace("a * * b", "a * b");

scenario(
  "edit quick fix",
  {
    waitForStatus: /Local Code: bigram/,
    settings: {
      "localCode.chat.model": fixturePath("bigram-chat-fix"),
      "localCode.completion.enabled": false,
    },
    beforeOpen: async (s) => {
      fs.writeFileSync(s.workspaceFile("src/broken.js"), BROKEN);
      await ensureFixture("bigram-chat-fix");
    },
  },
  (s) => {
    dumpLogOnFailure(s, "edit quick fix");
    it("Fix with Local Code on a syntax error reviews the fixed line; Accept All leaves exactly the fixed file", async () => {
      await s.wb.openFile("src/broken.js");
      // JavaScript's own language service reports the error (a squiggle on the broken line).
      await s.wb.step("diagnostic", () =>
        s.wb.page
          .locator(`${sel.activeEditor} .squiggly-error`)
          .first()
          .waitFor({ state: "visible", timeout: 120_000 }),
      );
      await s.wb.focusEditor();
      await s.wb.page.keyboard.press("Control+Home");
      for (let i = 0; i < 5; i++) await s.wb.page.keyboard.press("ArrowDown");
      // Select the broken line's code, so the error's range is inside the selection: with the cursor at
      // the end of the line the fix came only through VS Code's "nearby quick fixes", which once
      // offered nothing under load.
      await s.wb.page.keyboard.press("Home");
      await s.wb.page.keyboard.press("Shift+End");
      await s.wb.runCommand("Quick Fix...");
      const fix = s.wb.page.locator(".action-widget .monaco-list-row").filter({ hasText: "Fix with Local Code" });
      await s.wb.step("quick fix menu", () => fix.first().waitFor({ state: "visible", timeout: 60_000 }));
      await s.wb.screenshot("quick fix menu");
      await fix.first().click();
      await s.wb.step("review shown", () =>
        lenses(s).filter({ hasText: "Accept All" }).first().waitFor({ state: "visible", timeout: 60_000 }),
      );
      await waitForEditorText(
        s,
        BROKEN.replace("    return a * * b;\n", "    return a * * b;\n    return a * b;\n"),
        "the review",
      );
      await s.wb.screenshot("quick fix review");
      await (await topLens(s, "Accept All")).click();
      await waitForEditorText(s, FIXED, "the fixed file");
      await waitUntil(s.wb, async () => (await lenses(s).count()) === 0, 30_000, "the lenses to go");
      await s.wb.save();
      await s.waitForFile("src/broken.js", FIXED);
      // The error is gone with it.
      await waitUntil(
        s.wb,
        async () => (await s.wb.page.locator(`${sel.activeEditor} .squiggly-error`).count()) === 0,
        60_000,
        "the error squiggle to go",
      );
      await s.wb.screenshot("quick fix applied");
    });
  },
);

/** The test file the tests fixture answers with. */
const TESTS = extractRewrite(expectedScriptedChatReply(TESTS_REPLY).text, true)!;

scenario(
  "edit generate tests",
  {
    waitForStatus: /Local Code: bigram/,
    settings: {
      "localCode.chat.model": fixturePath("bigram-chat-tests"),
      "localCode.completion.enabled": false,
    },
    beforeOpen: async () => {
      await ensureFixture("bigram-chat-tests");
    },
  },
  (s) => {
    dumpLogOnFailure(s, "edit generate tests");
    it("Generate Tests proposes the tests in a new untitled math.test.js next to the source", async () => {
      const source = fs.readFileSync(s.workspaceFile("src/math.js"), "utf8");
      await s.wb.openFile("src/math.js");
      await s.wb.focusEditor();
      await s.wb.page.keyboard.press("Control+Home");
      await s.wb.page.keyboard.press("ArrowDown");
      await s.wb.runCommand("Local Code: Generate Tests for Symbol at Cursor");
      await s.wb.step("review shown", () =>
        lenses(s).filter({ hasText: "Accept All" }).first().waitFor({ state: "visible", timeout: 90_000 }),
      );
      await s.wb.page.locator(".tabs-container .tab.active").filter({ hasText: "math.test.js" }).waitFor();
      await waitForEditorText(s, [...TESTS, ""].join("\n"), "the proposed tests");
      await s.wb.screenshot("generate tests review");
      await (await topLens(s, "Accept All")).click();
      await waitUntil(s.wb, async () => (await lenses(s).count()) === 0, 30_000, "the lenses to go");
      // The untitled file (it would be saved as src/math.test.js) holds exactly the tests; the source is unchanged.
      await s.wb.page.locator(".tabs-container .tab.active.dirty").filter({ hasText: "math.test.js" }).waitFor();
      await waitForEditorText(s, [...TESTS, ""].join("\n"), "the tests in the new file");
      assert.equal(fs.existsSync(s.workspaceFile("src/math.test.js")), false, "the tests were saved without asking");
      assert.equal(fs.readFileSync(s.workspaceFile("src/math.js"), "utf8"), source);
      await s.wb.screenshot("generate tests accepted");
    });
  },
);
