// The first-run walkthrough in the real VS Code: reached from the first-run prompt and from the
// status bar menu, its four steps shown, and a step's button running the extension's command.
import assert from "node:assert/strict";
import path from "node:path";
import type { Locator } from "playwright-core";
import { expectedChatReply } from "../../fixtures/gguf/index";
import { scenario, type ScenarioContext } from "../lib/scenario";

const TITLE = "Get Started with Local Code Assistant";
const STEPS = ["Pick or download a model", "Try a completion", "Ask the chat", "Summarize a selection"];
const REPLY = expectedChatReply().text;

/** The walkthrough's page in the Welcome editor (VS Code 1.139's gettingStarted DOM). */
function walkthroughPage(s: ScenarioContext): Locator {
  return s.wb.page.locator(".gettingStartedContainer").filter({ hasText: TITLE });
}

function stepButton(s: ScenarioContext, title: string): Locator {
  return walkthroughPage(s).locator("button.getting-started-step").filter({ hasText: title });
}

/** Waits for the walkthrough to be open with its four steps, and returns their titles. */
async function expectWalkthrough(s: ScenarioContext): Promise<string[]> {
  const page = walkthroughPage(s);
  await page.locator(".step-title").first().waitFor({ state: "visible", timeout: 30_000 });
  const titles = (await page.locator("button.getting-started-step .step-title").allInnerTexts())
    .map((t) => t.trim())
    .filter(Boolean);
  assert.deepEqual(titles, STEPS);
  return titles;
}

async function closeEditors(s: ScenarioContext): Promise<void> {
  await s.wb.runCommand("View: Close All Editors");
  await walkthroughPage(s).waitFor({ state: "hidden", timeout: 10_000 });
}

scenario(
  "walkthrough: first run",
  {
    // completion "auto" with nothing downloaded: the first-run prompt appears. The chat model is
    // the deterministic fixture, so the summarize step's answer is known. No download happens:
    // the endpoint is a closed port and the test never presses Download.
    settings: { "localCode.completion.model": "auto", "localCode.downloadEndpoint": "http://127.0.0.1:9" },
    beforeOpen: async (s) => ({ "localCode.modelsFolder": path.join(s.session.runDir, "models", "walkthrough") }),
  },
  (s) => {
    it("the first-run prompt's Get Started opens the walkthrough with its four steps", async () => {
      const prompt = /download the recommended completion model/;
      await s.wb.step("first-run prompt", () => s.wb.waitForNotification(prompt, 60_000));
      await s.wb.clickNotificationButton(prompt, "Get Started");
      await s.wb.step("walkthrough from the prompt", () => expectWalkthrough(s));
      // The first step is open: its buttons are the model commands.
      const first = stepButton(s, STEPS[0]!);
      await first.click();
      const details = walkthroughPage(s).locator(".getting-started-step.expanded");
      await details.getByRole("button", { name: "Show Hardware and Model Choice" }).waitFor({ state: "visible" });
      await details.getByRole("button", { name: "Select Model" }).waitFor({ state: "visible" });
    });

    it("the status bar menu opens it too", async () => {
      await closeEditors(s);
      await s.wb
        .statusBarItem(/Local Code/)
        .first()
        .click();
      const input = s.wb.page.locator(".quick-input-widget .quick-input-box input");
      await input.waitFor({ state: "visible" });
      await input.fill("Get Started");
      const row = s.wb.page
        .locator(".quick-input-widget .quick-input-list .monaco-list-row")
        .filter({ hasText: "Get Started" })
        .first();
      await s.wb.step("status menu", () => row.waitFor({ state: "visible" }));
      await row.click();
      await s.wb.step("walkthrough from the status menu", () => expectWalkthrough(s));
    });

    it("a step's button runs its command: Summarize a Sample Function puts a summary into the chat view and checks the step", async () => {
      const step = stepButton(s, "Summarize a selection");
      // VS Code marks a done step with a checked codicon (class "complete") in its button.
      assert.equal(
        await step.locator(".codicon.complete").count(),
        0,
        "the summarize step is checked before its command ran",
      );
      await step.click();
      const button = walkthroughPage(s)
        .locator(".getting-started-step.expanded")
        .getByRole("button", { name: "Summarize a Sample Function" });
      await button.click();
      const view = await s.wb.waitForWebviewView({ selector: "#chat-input" });
      const turn = view.locator("#messages .turn").last();
      await s.wb.step("summary of the sample", () =>
        turn.locator(".message.assistant.status-complete").waitFor({ state: "visible", timeout: 90_000 }),
      );
      assert.match(await turn.locator(".question-text, .message.user").first().innerText(), /Untitled/);
      assert.equal((await turn.locator(".message.assistant .markdown-body").innerText()).trim(), REPLY);
      // The sample the step opened is the selected function.
      assert.match(await s.wb.activeEditorText(), /export function groupBy/);
      // Back on the walkthrough, the step is checked.
      await s.wb.runCommand("Local Code: Get Started");
      await expectWalkthrough(s);
      await s.wb.step("step checked", () =>
        stepButton(s, "Summarize a selection")
          .locator(".codicon.complete")
          .waitFor({ state: "visible", timeout: 10_000 }),
      );
    });
  },
);
