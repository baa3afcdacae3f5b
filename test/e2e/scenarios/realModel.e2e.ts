// The product on a real model in the real VS Code (packaged VSIX in code-server): SmolLM2-135M-Instruct
// Q4_1 from PyPI (scripts/tools/real-models.mjs), greedy. A small model's wording varies between
// versions of the engine, so the tests assert properties of the answers, never their text, and
// wait for states (streaming, complete, stopped), never for time.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { Locator } from "playwright-core";
import { CART_TOTAL_INSTRUCTION, CART_TOTAL_LINES } from "../../fixtures/real/editSample";
import { realModelPath } from "../../fixtures/real/index";
import { ChatView, waitUntil } from "../lib/chatView";
import { dumpLogOnFailure, editAll, lenses, waitForEditorText } from "../lib/editReview";
import { repoRoot } from "../lib/paths";
import { scenario } from "../lib/scenario";

/** Template and special-token text that must never reach the chat view. */
const TEMPLATE_LEAKS = /<\|im_start\|>|<\|im_end\|>|<\|endoftext\|>|<start_of_turn>|<end_of_turn>/;
const MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf";

/** A real function of this repository, cut out of its file (found by name: line numbers move). */
function realFunction(file: string, name: string): string {
  const source = fs.readFileSync(path.join(repoRoot, file), "utf8");
  const start = source.indexOf(`function ${name}(`);
  assert.ok(start >= 0, `${name} not found in ${file}`);
  const end = source.indexOf("\n}\n", start);
  return end < 0 ? source.slice(start) : source.slice(start, end + 3);
}

scenario(
  "real model in VS Code",
  {
    waitForStatus: new RegExp(`Local Code: ${MODEL_FILE.replace(/\./g, "\\.")}`),
    timeoutMs: 600_000,
    // SmolLM2 has no fill-in-the-middle tokens, so inline completion stays off (the product
    // would say fimUnsupported); the status bar still names the configured model.
    settings: {
      "localCode.chat.temperature": 0,
      "localCode.chat.maxTokens": 200,
      "localCode.completion.enabled": false,
    },
    beforeOpen: async () => {
      const model = realModelPath("smollm2-135m");
      return { "localCode.chat.model": model, "localCode.completion.model": model };
    },
  },
  (s) => {
    dumpLogOnFailure(s, "real model");
    let chat: ChatView;

    it("the status bar names the real model", async () => {
      const text = await s.wb.step("status bar", () => s.wb.waitForStatusBarItem(MODEL_FILE, 60_000));
      assert.match(text, /SmolLM2-135M-Instruct\.Q4_1\.gguf/);
    });

    it("chat streams a real answer, ended by the model, rendered as markdown with a code block", async () => {
      chat = await s.wb.step("open chat", () => ChatView.open(s.wb));
      const turn = await chat.ask("Show me a Python example of a for loop in a code block.");
      const body = chat.body(turn);
      // Streaming: the answer is visible and growing while its status says so.
      const early = await waitUntil(
        s.wb,
        async () =>
          (await chat.status(turn)) === "streaming" ? (await body.innerText().catch(() => "")) || false : false,
        120_000,
        "the first streamed words",
      );
      await s.wb.step("streaming", () =>
        waitUntil(
          s.wb,
          async () => (await body.innerText()).length > early.length || (await chat.status(turn)) !== "streaming",
          120_000,
          "the answer to grow",
        ),
      );
      await s.wb.step("answered", () => chat.waitForStatus(turn, "complete", 300_000));
      const text = await body.innerText();
      assert.ok(text.length > early.length, "the answer did not grow after its first words");
      assert.doesNotMatch(text, TEMPLATE_LEAKS, "template text leaked into the answer");
      // Markdown rendered: a code block element holding code, no raw fence left in the text.
      const code = (await body.locator("pre code").first().textContent({ timeout: 5000 })) ?? "";
      assert.ok(code.trim().length > 0, "the code block is empty");
      assert.doesNotMatch(text, /```/, "a raw fence is left in the rendered answer");
      await chat.screenshot("chat answer");
    });

    it("Stop mid-answer keeps what came, marked Stopped, and the text stops growing", async () => {
      const turn = await chat.ask("Write a very long story about a robot who learns to paint, in many chapters.");
      const body = chat.body(turn);
      const seen = await waitUntil(
        s.wb,
        async () => {
          const t = (await chat.status(turn)) === "streaming" ? await body.innerText().catch(() => "") : "";
          return t.length >= 40 ? t : false;
        },
        120_000,
        "40 characters of the story",
      );
      await chat.frame.locator("#stop-button").click();
      await s.wb.step("stopped", () => chat.waitForStatus(turn, "stopped", 60_000));
      const kept = await chat.expectStableText(body, 3000);
      assert.ok(
        kept.startsWith(seen.slice(0, 30)),
        `the stopped answer lost what came: ${JSON.stringify(kept.slice(0, 60))} vs ${JSON.stringify(seen.slice(0, 60))}`,
      );
      assert.match(await turn.locator(".answer-status.status-stopped").innerText(), /Stopped/);
      assert.doesNotMatch(kept, TEMPLATE_LEAKS);
      assert.equal(await chat.frame.locator("#send-button").isVisible(), true);
    });

    it("Summarize Selection on a real function (its file, nothing selected) puts a summary that names it into the chat view", async () => {
      // A frozen copy of src/worker/loadedModel.ts's function: the assertion is about this text.
      const fn = realFunction("test/fixtures/real/samples/commonPrefixLength.ts.txt", "commonPrefixLength");
      fs.writeFileSync(s.workspaceFile("src/tokens.ts"), fn);
      await s.wb.openFile("src/tokens.ts");
      // Nothing selected: the file, which holds just the function, is summarized (the prompt the
      // CLI's `summarize --file` builds too, so a failure here can be replayed in a terminal).
      await s.wb.focusEditor();
      await s.wb.page.keyboard.press("Control+Home");
      await s.wb.step("run summarize", () => s.wb.runCommand("Local Code: Summarize Selection"));
      const view = await s.wb.waitForWebviewView({ selector: "#chat-input" });
      const turn: Locator = view
        .locator("#messages .turn")
        .filter({ hasText: /tokens\.ts/ })
        .last();
      await s.wb.step("summary", () =>
        turn.locator(".message.assistant.status-complete").waitFor({ state: "visible", timeout: 300_000 }),
      );
      const summary = (await turn.locator(".message.assistant .markdown-body").innerText()).trim();
      assert.match(await turn.innerText(), /nothing was selected|whole file/i);
      assert.match(summary, /commonPrefixLength/, `the summary does not name the function: ${summary.slice(0, 300)}`);
      assert.ok(summary.length > 0 && !TEMPLATE_LEAKS.test(summary));
      await chat.screenshot("summary");
    });

    it("Edit Selection on a real function streams a review; Reject All leaves the file as it was", async () => {
      // SmolLM2-135M (greedy) answers "Convert the for loop to reduce." with one whole code block
      // (test/real/edit.test.ts shows the same prompt): the review must come up with Accept/Reject,
      // and nothing reaches the file without a decision.
      const original = CART_TOTAL_LINES.join("\n");
      fs.writeFileSync(s.workspaceFile("src/cart.js"), original);
      await editAll(s, "src/cart.js", CART_TOTAL_INSTRUCTION);
      await s.wb.step("review shown", () =>
        lenses(s).filter({ hasText: "Reject All" }).first().waitFor({ state: "visible", timeout: 300_000 }),
      );
      // Streaming done: the Cancel lens is gone and Accept/Reject stay.
      await waitUntil(
        s.wb,
        async () => !(await lenses(s).allInnerTexts()).some((t) => /Cancel/.test(t)),
        300_000,
        "the rewrite to finish",
      );
      const titles = (await lenses(s).allInnerTexts()).map((t) => t.trim());
      assert.ok(titles.includes("Accept"), JSON.stringify(titles));
      assert.doesNotMatch(await s.wb.activeEditorText(), TEMPLATE_LEAKS);
      await s.wb.screenshot("real edit review");
      await lenses(s).filter({ hasText: "Reject All" }).first().click();
      await waitUntil(s.wb, async () => (await lenses(s).count()) === 0, 30_000, "the review to close");
      await waitForEditorText(s, original, "the file as it was");
      assert.equal(fs.readFileSync(s.workspaceFile("src/cart.js"), "utf8"), original);
      await s.wb.screenshot("real edit rejected");
    });
  },
);
