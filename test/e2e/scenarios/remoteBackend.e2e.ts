import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { ensureFixture, expectedChatReply, expectedCompletion } from "../../fixtures/gguf/index";
import { LlamaServer } from "../../remote/llamaServer";
import { workerPids } from "../lib/processes";
import { scenario, type ScenarioOptions } from "../lib/scenario";
import { sel } from "../lib/workbench";

// localCode.backend = remote against a real llama-server (started here on 127.0.0.1, serving the
// bigram fixture): the same exact results as the local worker, the remote state in the status bar,
// a stopped server and a missing/wrong API key as the user sees them.

const LINE = "const total = ";
const GHOST = expectedCompletion(LINE).text;
const REPLY = expectedChatReply().text;
const READY = /Local Code: bigram\S* @ 127\.0\.0\.1:\d+/;

/** Starts llama-server before the scenario opens, and points the scenario's settings at it. */
function withServer(
  options: { apiKey?: string },
  define: (server: () => LlamaServer, settings: ScenarioOptions, replace: (s: LlamaServer) => void) => void,
): void {
  let server: LlamaServer | undefined;
  const settings: ScenarioOptions = {
    waitForStatus: undefined,
    settings: { "localCode.backend": "remote", "localCode.chat.maxTokens": 64 },
  };
  before(async function () {
    this.timeout(120_000);
    server = await LlamaServer.start({
      model: await ensureFixture("bigram-q8_0"),
      contextSize: 2048,
      apiKey: options.apiKey,
    });
    settings.settings!["localCode.remote.url"] = server.url;
  });
  after(async () => {
    await server?.stop();
  });
  define(
    () => {
      if (!server) throw new Error("llama-server did not start");
      return server;
    },
    settings,
    (s) => (server = s),
  );
}

describe("remote backend (real llama-server)", function () {
  this.timeout(240_000);
  withServer({}, (server, options, replace) => {
    options.waitForStatus = READY;
    scenario("remote backend", options, (s) => {
      it("does not start the local model worker", async () => {
        assert.deepEqual(workerPids(s.session.server.extensionsDir), []);
        const status = await s.wb.waitForStatusBarItem(READY, 30_000);
        assert.ok(status.includes(String(server().port)), status);
      });

      it("shows the server's exact ghost text and Tab inserts it", async () => {
        assert.equal(GHOST, "xyz");
        await s.wb.step("open empty.js", () => s.wb.openFile("src/empty.js"));
        await s.wb.step("type", () => s.wb.typeInEditor(LINE, 40));
        const ghost = await s.wb.step("ghost text", () => s.wb.waitForGhostText({ timeoutMs: 60_000 }));
        assert.equal(ghost, GHOST);
        await s.wb.page.keyboard.press("Tab");
        await s.wb.save();
        const text = await s.waitForFile("src/empty.js", (t) => t.includes(GHOST));
        assert.equal(text.trimEnd(), `${LINE}${GHOST}`);
        await s.wb.waitForStatusBarItem(/Local Code: bigram\S* @ 127\.0\.0\.1:\d+ · \d+ ms/, 30_000);
      });

      it("chat answers through the server", async () => {
        await s.wb.runCommand("Local Code: Open Chat");
        const view = await s.wb.waitForWebviewView({ selector: "#chat-input" });
        // The empty chat says where questions go: the server's host, not "nothing leaves your machine".
        const where = view.locator("#where-questions-go");
        await where.filter({ hasText: `127.0.0.1:${server().port}` }).waitFor({ state: "visible", timeout: 30_000 });
        assert.doesNotMatch(await where.innerText(), /nothing leaves/);
        await s.wb.screenshot("remote chat empty names the server");
        await view.locator("#chat-input").fill("Say hi");
        await view.locator("#chat-input").press("Enter");
        const answer = view.locator(".message.assistant.status-complete .markdown-body").last();
        await answer.waitFor({ state: "visible", timeout: 90_000 });
        assert.equal((await answer.innerText()).trim(), REPLY);
        await s.wb.screenshot("remote chat answered");
      });

      it("summarizes a selection through the server", async () => {
        await s.wb.openFile("src/math.js");
        await s.wb.focusEditor();
        await s.wb.page.keyboard.press("Control+Home");
        for (let i = 0; i < 3; i++) await s.wb.page.keyboard.press("Shift+ArrowDown");
        await s.wb.runCommand("Local Code: Summarize Selection");
        const view = await s.wb.waitForWebviewView({ selector: "#chat-input" });
        const turn = view
          .locator("#messages .turn")
          .filter({ hasText: /math\.js/ })
          .last();
        const answer = turn.locator(".message.assistant.status-complete .markdown-body");
        await answer.waitFor({ state: "visible", timeout: 90_000 });
        assert.equal((await answer.innerText()).trim(), REPLY);
      });

      it("a stopped server shows unreachable in the status bar (no popup), and after its restart the next completion works", async () => {
        await server().kill();
        // empty.js is still open in a tab (Quick Open can lose the race with the chat view's focus).
        await s.wb.page.locator('.tabs-container .tab:has-text("empty.js")').first().click();
        await s.wb.focusEditor();
        await s.wb.goToEnd();
        await s.wb.typeInEditor("\nlet b = ", 40);
        const status = await s.wb.step("unreachable", () =>
          s.wb.waitForStatusBarItem(/server unreachable \(127\.0\.0\.1:\d+\)/, 60_000),
        );
        assert.match(status, /unreachable/);
        const popups = (await s.wb.readNotifications()).filter((n) =>
          /Local Code|127\.0\.0\.1|unreachable|refused/i.test(n),
        );
        assert.deepEqual(popups, [], "no popup while typing");
        assert.equal(await s.wb.hasGhostText(), false);
        replace(await server().restart());
        await s.wb.focusEditor();
        await s.wb.page.keyboard.press("Escape");
        await s.wb.typeInEditor("\nlet c = ", 40);
        const ghost = await s.wb.step("completion after restart", () =>
          s.wb.waitForGhostText({ timeoutMs: 90_000, trigger: true }),
        );
        assert.equal(ghost, expectedCompletion("let c = ").text);
        await s.wb.waitForStatusBarItem(READY, 30_000);
      });
    });
  });
});

describe("remote backend with an API key (real llama-server --api-key)", function () {
  this.timeout(240_000);
  const key = `lca-e2e-${randomBytes(12).toString("hex")}`;
  withServer({ apiKey: key }, (_server, options) => {
    scenario("remote backend with an API key", options, (s) => {
      const setKey = async (value: string) => {
        await s.wb.runCommand("Local Code: Set Remote API Key");
        const input = s.wb.page.locator(sel.quickInputBox);
        await input.waitFor({ state: "visible", timeout: 30_000 });
        assert.equal(await input.getAttribute("type"), "password", "the key is typed into a password box");
        await input.fill(value);
        await input.press("Enter");
      };

      it("without the key the status bar says unauthorized (no popup while typing)", async () => {
        await s.wb.openFile("src/empty.js");
        await s.wb.typeInEditor("let a = ", 40);
        const status = await s.wb.waitForStatusBarItem(/Local Code: 127\.0\.0\.1:\d+ unauthorized/, 60_000);
        assert.match(status, /unauthorized/);
        const popups = (await s.wb.readNotifications()).filter((n) => /Local Code|401|API key/i.test(n));
        assert.deepEqual(popups, []);
      });

      it("with the key set through the command (SecretStorage) completion works", async () => {
        await s.wb.step("set the key", () => setKey(key));
        await s.wb.step("ready", () => s.wb.waitForStatusBarItem(READY, 60_000));
        await s.wb.focusEditor();
        await s.wb.typeInEditor(`\n${LINE}`, 40);
        assert.equal(await s.wb.waitForGhostText({ timeoutMs: 60_000, trigger: true }), GHOST);
      });

      it("with a wrong key the chat says the server refused it (HTTP 401) and how to fix it", async () => {
        await s.wb.step("set a wrong key", () => setKey(`${key}-wrong`));
        await s.wb.runCommand("Local Code: Open Chat");
        const view = await s.wb.waitForWebviewView({ selector: "#chat-input" });
        await view.locator("#chat-input").fill("Say hi");
        await view.locator("#chat-input").press("Enter");
        const failed = view.locator(".message.assistant.status-error").last();
        await failed.waitFor({ state: "visible", timeout: 90_000 });
        const text = await failed.innerText();
        assert.match(text, /refused the API key \(HTTP 401\)/);
        assert.match(text, /Set Remote API Key/);
        assert.ok(!text.includes(key), "the key is not shown");
        await s.wb.screenshot("401 in chat");
        await s.wb.waitForStatusBarItem(/unauthorized/, 30_000);
      });
    });
  });
});
