import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import { expectedChatReply, expectedCompletion } from "../fixtures/gguf/deterministicModel";
import { FaultProxy } from "../remote/faultProxy";
import { LlamaServer } from "../remote/llamaServer";
import { api, waitFor } from "./helpers";

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const config = () => vscode.workspace.getConfiguration("localCode");
const set = (key: string, value: unknown) => config().update(key, value, vscode.ConfigurationTarget.Global);

/** localCode.backend = remote inside the real extension host, against a real llama-server on 127.0.0.1. */
describe("remote backend in the real extension host", function () {
  this.timeout(180_000);
  const key = `lca-host-${randomBytes(12).toString("hex")}`;
  let open: LlamaServer | undefined;
  let locked: LlamaServer | undefined;
  let proxy: FaultProxy | undefined;

  before(async () => {
    const model = config().get<string>("completion.model");
    assert.ok(
      model && model.endsWith(".gguf"),
      `the host suite runs with the fixture model as localCode.completion.model (got ${model})`,
    );
    [open, locked] = await Promise.all([
      LlamaServer.start({ model, contextSize: 2048 }),
      LlamaServer.start({ model, contextSize: 2048, apiKey: key }),
    ]);
  });

  after(async () => {
    await vscode.commands.executeCommand("localCode.clearRemoteApiKey");
    await set("backend", undefined);
    await set("remote.url", undefined);
    await Promise.all([open?.stop(), locked?.stop(), proxy?.stop()]);
  });

  it("switching to remote stops the local worker and gives the same exact results", async () => {
    const { engine, models, worker, remote, statusText } = await api();
    await models.ensureLoaded("completion");
    const localPid = worker()?.pid ?? null;
    assert.ok(localPid !== null, "the local worker runs before the switch");
    await set("remote.url", open!.url);
    await set("backend", "remote");
    const server = await waitFor(() => remote(), 10_000, "the remote engine");
    assert.equal(server.server, open!.url);
    assert.equal(worker(), null, "no local worker while the backend is remote");
    await waitFor(() => !processAlive(localPid), 15_000, `the local worker ${localPid} to exit`);
    const info = await models.ensureLoaded("completion");
    assert.match(info.modelPath, /bigram/);
    const completion = await engine.generate("completion", {
      kind: "complete",
      prompt: "const total = ",
      maxTokens: 16,
    });
    assert.equal(completion.text, expectedCompletion("const total = ").text);
    await models.ensureLoaded("chat");
    const chat = await engine.generate("chat", {
      kind: "chat",
      messages: [{ role: "user", content: "hello" }],
      maxTokens: 16,
    });
    assert.equal(chat.text, expectedChatReply().text);
    const status = await waitFor(
      () => /@ 127\.0\.0\.1:\d+/.test(statusText().text) && statusText(),
      10_000,
      `the remote status (now ${statusText().text})`,
    );
    assert.match(status.text, new RegExp(`bigram\\S* @ 127\\.0\\.0\\.1:${open!.port}`));
  });

  it("the API key comes from SecretStorage through the command, never reaches settings or the log, and a wrong one is a clear 401", async () => {
    const { engine, models, remote, statusText, logLines } = await api();
    await set("remote.url", locked!.url);
    const withoutKey = await waitFor(
      () => remote()?.server === locked!.url && remote(),
      10_000,
      "the engine for the locked server",
    );
    await vscode.commands.executeCommand("localCode.setRemoteApiKey", key);
    const withKey = await waitFor(() => remote() !== withoutKey && remote(), 10_000, "the engine rebuilt with the key");
    await models.ensureLoaded("completion");
    assert.equal(engine.active, withKey);
    const result = await engine.generate("completion", { kind: "complete", prompt: "const total = ", maxTokens: 16 });
    assert.equal(result.text, expectedCompletion("const total = ").text);

    await vscode.commands.executeCommand("localCode.setRemoteApiKey", `${key}-wrong`);
    await waitFor(() => remote() !== withKey && remote(), 10_000, "the engine rebuilt with the new key");
    const error = await models
      .ensureLoaded("chat")
      .then(() => engine.generate("chat", { kind: "chat", messages: [{ role: "user", content: "hi" }], maxTokens: 8 }))
      .then(
        () => assert.fail("a wrong key must fail"),
        (e: Error) => e,
      );
    assert.match(error.message, /refused the API key \(HTTP 401\)/);
    assert.match(error.message, /Set Remote API Key/);
    await waitFor(
      () => /unauthorized/.test(statusText().text),
      10_000,
      `the status to say unauthorized (now ${statusText().text})`,
    );

    const everywhere = [
      JSON.stringify(config()),
      JSON.stringify(config().inspect("remote")),
      statusText().text,
      statusText().tooltip,
      error.message,
      ...logLines(),
    ].join("\n");
    assert.ok(logLines().length > 0, "the log was recorded");
    assert.ok(!everywhere.includes(key), "the API key leaked into settings, the status bar, an error or the log");
  });

  it("Show Hardware and Model Choice on remote reports the server and its models, not this machine", async () => {
    const { models, remote } = await api();
    await set("remote.url", open!.url);
    await set("backend", "remote");
    await waitFor(() => remote()?.server === open!.url && remote(), 10_000, "the remote engine on the open server");
    await models.ensureLoaded("chat");
    await vscode.commands.executeCommand("localCode.showHardware");
    const doc = await waitFor(
      () =>
        vscode.workspace.textDocuments.find(
          (d) => d.uri.scheme === "localcode-report" && d.getText().includes("## Remote backend"),
        ),
      10_000,
      "the remote hardware report",
    );
    const text = doc.getText();
    assert.ok(text.includes(`run on **${open!.url}**`), text);
    assert.match(text, /^\| Chat \| `[^`]*bigram[^`]*` \|$/m);
    assert.doesNotMatch(text, /\| RAM \|/);
  });

  it("Summarize's Retry reruns the command that failed: a failed Explain retried explains again", async () => {
    const { models, remote, chat } = await api();
    proxy = await FaultProxy.start(open!.url);
    // Explain of a small selection counts tokens (POST /tokenize) before anything is sent to the chat:
    // failing that request once fails the command itself, which is where its Retry button comes from.
    let failNext = false;
    proxy.fault = (req) => {
      if (req.method !== "POST" || !/tokenize/.test(req.url ?? "") || !failNext) return { kind: "pass" };
      failNext = false;
      return { kind: "status", status: 500, body: JSON.stringify({ error: { message: "injected failure" } }) };
    };
    await set("remote.url", proxy.url);
    await set("backend", "remote");
    await waitFor(() => remote()?.server === proxy!.url && remote(), 10_000, "the remote engine behind the proxy");
    await models.ensureLoaded("chat");
    const doc = await vscode.workspace.openTextDocument({
      language: "typescript",
      content: "export function add(a: number, b: number): number {\n  return a + b;\n}\n",
    });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(0, 0, 3, 0);
    // Summarize starts a new conversation: the retried Explain is told by a new conversation id (the
    // earlier tests' chat may have left turns in the current one).
    const before = chat.controller.viewState.conversation;
    // Only this test's notification may be there when its Retry is accepted.
    await vscode.commands.executeCommand("notifications.clearAll");
    failNext = true;

    const first = (await vscode.commands.executeCommand("localCode.explainSelection")) as { status: string };
    assert.equal(first.status, "failed", "the injected 500 fails the first Explain");
    assert.equal(failNext, false, "the proxy failed the token count");
    assert.equal(chat.controller.viewState.conversation.id, before.id, "no exchange from the failed run");
    assert.equal(
      chat.controller.viewState.conversation.turns.length,
      before.turns.length,
      "no exchange from the failed run",
    );

    // The error notification's first button is Retry: accept it as a user would, until the rerun shows.
    const newTurns = () => {
      const now = chat.controller.viewState.conversation;
      return now.id === before.id ? [] : now.turns;
    };
    const explained = () => newTurns().find((t) => t.question.text.startsWith("Explain what the code above"));
    for (let tries = 0; !explained() && tries < 50; tries++) {
      await vscode.commands.executeCommand("notification.acceptPrimaryAction");
      await waitFor(explained, 200, "the retried Explain").catch(() => undefined);
    }
    const turn = await waitFor(explained, 30_000, "the retried Explain in the chat");
    assert.ok(
      !newTurns().some((t) => t.question.text.startsWith("Summarize the code above")),
      "Retry ran Summarize instead of Explain",
    );
    assert.match(turn.question.text, /Explain what the code above/);
  });

  it("switching back to local starts the worker again and completes exactly", async () => {
    const { engine, models, worker, remote } = await api();
    await set("backend", "local");
    await waitFor(() => remote() === null, 10_000, "the remote engine to go");
    await models.ensureLoaded("completion");
    const pid = worker()?.pid ?? null;
    assert.ok(pid !== null && pid !== process.pid, "the local worker runs again");
    const result = await engine.generate("completion", { kind: "complete", prompt: "const total = ", maxTokens: 16 });
    assert.equal(result.text, expectedCompletion("const total = ").text);
  });
});
