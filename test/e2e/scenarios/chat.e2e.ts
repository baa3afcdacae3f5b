import assert from "node:assert/strict";
import { expectedChatReply } from "../../fixtures/gguf/index";
import { scenario } from "../lib/scenario";

const REPLY = expectedChatReply().text;

scenario("chat view", { waitForStatus: /Local Code: bigram/ }, (s) => {
  it("answers a message with the model's streamed reply", async () => {
    assert.equal(REPLY, "HI!");
    await s.wb.step("open chat", () => s.wb.runCommand("Local Code: Open Chat"));
    const view = await s.wb.step("chat view ready", () => s.wb.waitForWebviewView({ selector: "#chat-input" }));
    await view.locator("#chat-input").fill("Say hi");
    await view.locator("#chat-input").press("Enter");
    const answer = view.locator(".message.assistant.status-complete .markdown-body").last();
    await answer.waitFor({ state: "visible", timeout: 90_000 });
    assert.equal((await answer.innerText()).trim(), REPLY);
    await s.wb.screenshot("chat answered");
  });

  it("keeps the conversation across a window reload", async () => {
    await s.wb.page.reload();
    await s.wb.waitForReady();
    await s.wb.waitForStatusBarItem(/Local Code: bigram/, 60_000);
    await s.wb.runCommand("Local Code: Open Chat");
    const view = await s.wb.waitForWebviewView({ selector: "#chat-input" });
    const question = view.locator("#messages .turn").first();
    await question.waitFor({ state: "visible", timeout: 60_000 });
    assert.match(await question.innerText(), /Say hi[\s\S]*HI!/);
    await s.wb.screenshot("after reload");
  });
});

for (const theme of ["Default Light Modern", "Default High Contrast"])
  scenario(
    `chat view in ${theme}`,
    { waitForStatus: /Local Code: bigram/, settings: { "workbench.colorTheme": theme } },
    (s) => {
      it("renders the answer with the theme's colours", async () => {
        await s.wb.runCommand("Local Code: Open Chat");
        const view = await s.wb.waitForWebviewView({ selector: "#chat-input" });
        await view.locator("#chat-input").fill("Say hi");
        await view.locator("#chat-input").press("Enter");
        const answer = view.locator(".message.assistant.status-complete .markdown-body").last();
        await answer.waitFor({ state: "visible", timeout: 90_000 });
        assert.equal((await answer.innerText()).trim(), REPLY);
        // The view takes its colours from VS Code's theme variables, not fixed ones.
        const background = await view.locator("body").evaluate((body) => getComputedStyle(body).backgroundColor);
        const themeBackground = await view
          .locator("body")
          .evaluate((body) => getComputedStyle(body).getPropertyValue("--vscode-sideBar-background").trim());
        assert.ok(themeBackground.length > 0, "no --vscode-* theme variables in the webview");
        await s.wb.screenshot(`chat in ${theme} (${background})`);
      });
    },
  );
