import assert from "node:assert/strict";
import {
  FINDMIN_BODY,
  ensureFixture,
  expectedCompletion,
  expectedScriptedChatReply,
  fixturePath,
} from "../../fixtures/gguf/index";
import { waitUntil } from "../lib/chatView";
import { scenario } from "../lib/scenario";

// The deterministic fixture continues the text before the cursor: with the default psmTail
// layout the cursor line ends the prompt, so "const total = " (last token " ") gives "xyz".
const LINE = "const total = ";
const GHOST = expectedCompletion(LINE).text;

scenario("inline completion", { waitForStatus: /Local Code: bigram/ }, (s) => {
  it("shows the model's ghost text while typing", async () => {
    assert.equal(GHOST, "xyz");
    await s.wb.step("open empty.js", () => s.wb.openFile("src/empty.js"));
    await s.wb.step("type", () => s.wb.typeInEditor(LINE, 40));
    const ghost = await s.wb.step("ghost text", () => s.wb.waitForGhostText({ timeoutMs: 60_000 }));
    assert.equal(ghost, GHOST);
  });

  it("keeps the suggestion consistent when the user types its first characters", async () => {
    await s.wb.typeInEditor(GHOST[0], 40);
    const ghost = await s.wb.step("typed ahead", () =>
      s.wb.waitForGhostText({ contains: GHOST.slice(1), timeoutMs: 30_000 }),
    );
    assert.equal(ghost, GHOST.slice(1));
  });

  it("Tab inserts exactly the suggestion", async () => {
    await s.wb.page.keyboard.press("Tab");
    await s.wb.save();
    const text = await s.waitForFile("src/empty.js", (t) => t.includes(GHOST));
    assert.equal(text.trimEnd(), `${LINE}${GHOST}`);
    await s.wb.screenshot("accepted");
  });

  it("the status bar shows the model and the last latency", async () => {
    const text = await s.wb.waitForStatusBarItem(/Local Code: bigram-q8_0\.v1\.gguf · \d+ ms/, 30_000);
    assert.match(text, /bigram-q8_0/);
  });

  it("200 fast keystrokes keep the editor responsive and end with the right suggestion", async () => {
    await s.wb.page.keyboard.press("Enter");
    const burst = "let v = [1, 2, 3].map((n) => n * 2).filter(Boolean); ".repeat(4).slice(0, 199) + " ";
    assert.equal(burst.length, 200);
    const started = Date.now();
    await s.wb.typeInEditor(burst, 5);
    const typingMs = Date.now() - started;
    // Responsive: every keystroke landed in the document, in order.
    await s.wb.save();
    const text = await s.waitForFile("src/empty.js", (t) => t.includes(burst.trimEnd()));
    assert.ok(text.includes(`${LINE}${GHOST}\n${burst.trimEnd()}`), JSON.stringify(text));
    // After the burst, the suggestion is the one for the final text (last token " " -> "xyz").
    const ghost = await s.wb.waitForGhostText({ timeoutMs: 60_000, trigger: false });
    assert.equal(ghost, GHOST);
    await s.wb.screenshot(`after burst (${typingMs} ms typing)`);
  });

  it("Completion Statistics says what happened since the window opened: requests, shown, accepted, per kind of step, the last reason", async () => {
    await s.wb.step("Completion Statistics", () => s.wb.runCommand("Local Code: Completion Statistics"));
    const text = await waitUntil(
      s.wb,
      async () => {
        const shown = await s.wb.activeEditorText();
        return /- Accepted: \d+/.test(shown) && shown;
      },
      30_000,
      "the statistics document",
    );
    assert.match(text, /Kept in memory on this machine only, never sent anywhere/);
    assert.match(text, /- Accepted: 1\b/, "the one Tab of this window");
    const number = (label: RegExp) => Number(label.exec(text)?.[1] ?? NaN);
    assert.ok(number(/- Requests: (\d+)/) >= 2, text);
    assert.ok(number(/- Suggestions shown: (\d+)/) >= 2, text);
    assert.ok(number(/\| typing in a line \| (\d+) \|/) >= 1, text);
    assert.match(text, /- Last request: (?!none yet)\S/, "the last request's reason in words");
    await s.wb.screenshot("completion statistics");
  });
});

// `{|}`: with bracket auto-closing on, typing the signature leaves the cursor between `{` and `}`.
// The fixture's answer after "{" is a chosen raw completion, a body that starts with a newline.
const SIGNATURE = "function findMin(arr) {";
const BODY = expectedScriptedChatReply(FINDMIN_BODY).text;

scenario(
  "inline completion between auto-closed brackets",
  {
    waitForStatus: /Local Code: bigram/,
    settings: {
      "localCode.completion.model": fixturePath("bigram-infill-findmin"),
      // The deterministic settings turn auto-closing off; this case is about it being on.
      "editor.autoClosingBrackets": "always",
    },
    beforeOpen: async () => {
      await ensureFixture("bigram-infill-findmin");
    },
  },
  (s) => {
    it("shows the multi-line body in {|} and Tab puts exactly that body before the }", async () => {
      assert.equal(BODY, FINDMIN_BODY.pieces.join(""));
      await s.wb.step("open empty.js", () => s.wb.openFile("src/empty.js"));
      await s.wb.step("type the signature", () => s.wb.typeInEditor(SIGNATURE, 40));
      const ghost = await s.wb.step("ghost text", () =>
        s.wb.waitForGhostText({ contains: "return m;", timeoutMs: 60_000 }),
      );
      assert.ok(ghost.includes("let m = arr[0];"), ghost);
      await s.wb.screenshot("findMin body shown before the auto-closed brace");
      await s.wb.page.keyboard.press("Tab");
      await s.wb.save();
      const text = await s.waitForFile("src/empty.js", (t) => t.includes("return m;"));
      assert.equal(text, `${SIGNATURE}${BODY}}`);
      await s.wb.screenshot("findMin accepted");
    });
  },
);
