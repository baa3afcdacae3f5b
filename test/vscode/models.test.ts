import assert from "node:assert/strict";
import * as vscode from "vscode";

const EXTENSION_ID = "localcode.local-code-assistant";

async function waitFor<T>(fn: () => T | undefined | null | false, ms = 20000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - start > ms) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("model choice in a real VS Code", function () {
  this.timeout(120_000);

  it("registers the model commands", async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
    const all = new Set(await vscode.commands.getCommands(true));
    assert.ok(all.has("localCode.selectModel"));
    assert.ok(all.has("localCode.showHardware"));
  });

  it("Show Hardware renders the report for the current settings", async () => {
    await vscode.commands.executeCommand("localCode.showHardware");
    const doc = await waitFor(() =>
      vscode.workspace.textDocuments.find((d) => d.uri.scheme === "localcode-report" && d.getText().length > 0),
    );
    const text = doc.getText();
    assert.match(text, /^\| Backend \| CPU only/m);
    assert.match(text, /^## Completion: `\/.*\.gguf`$/m);
    assert.match(text, /^- Loads: `\/.*\.gguf`$/m);
  });

  it("auto for chat: the resolver names the pick that is not downloaded", async () => {
    const api = vscode.extensions.getExtension(EXTENSION_ID)!.exports as {
      models: { resolve(slot: string): Promise<{ modelPath: string | null; problem: string | null }> };
    };
    const config = vscode.workspace.getConfiguration("localCode");
    const before = config.inspect<string>("chat.model")?.globalValue;
    await config.update("chat.model", "auto", vscode.ConfigurationTarget.Global);
    try {
      await new Promise((r) => setTimeout(r, 500));
      const r = await api.models.resolve("chat");
      assert.equal(r.modelPath, null);
      // Which Qwen2.5-Coder Instruct size and quant auto picks depends on this machine's RAM and
      // measured CPU bandwidth (the speed floor); the resolver and the report must name the same one.
      const m =
        /^Model (qwen2\.5-coder-[\d.]+b-instruct) \(([\w.-]+), \d+ MB\) is not downloaded yet — run Local Code: Select Model$/.exec(
          r.problem ?? "",
        );
      assert.ok(m, r.problem ?? "no problem");
      await vscode.commands.executeCommand("localCode.showHardware");
      const doc = await waitFor(() =>
        vscode.workspace.textDocuments.find(
          (d) => d.uri.scheme === "localcode-report" && /## Chat: `auto`/.test(d.getText()),
        ),
      );
      assert.ok(doc.getText().includes(`- Status: ${r.problem}`));
      assert.ok(doc.getText().includes(`(\`${m[1]}\`), chosen by auto`));
      assert.ok(doc.getText().includes(`| **${m[2]}** |`));
      assert.match(doc.getText(), /^\| CPU memory bandwidth \| [\d.]+ GB\/s \(copy probe, /m);
    } finally {
      await config.update("chat.model", before, vscode.ConfigurationTarget.Global);
    }
  });

  it("accepted licences reach auto: the report names the pick that waits on one, and accepting it makes that the pick", async () => {
    const config = () => vscode.workspace.getConfiguration("localCode");
    const chatBefore = config().inspect<string>("chat.model")?.globalValue;
    const licencesBefore = config().inspect<string[]>("acceptedLicences")?.globalValue;
    // The report, once it reflects the settings just written (the configuration event is async).
    const report = async (ready: (chat: string) => boolean): Promise<string> => {
      const start = Date.now();
      for (;;) {
        await vscode.commands.executeCommand("localCode.showHardware");
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === "localcode-report");
        const text = doc?.getText() ?? "";
        const chat = text.slice(text.indexOf("## Chat: `auto`"));
        if (text.includes("## Chat: `auto`") && ready(chat)) return chat;
        if (Date.now() - start > 30000) throw new Error(`report never ready:\n${text}`);
      }
    };
    const pickOf = (chat: string) => /^- Model: .*\(`([\w.-]+)`\), chosen by auto/m.exec(chat)?.[1];
    try {
      await config().update("acceptedLicences", [], vscode.ConfigurationTarget.Global);
      await config().update("chat.model", "auto", vscode.ConfigurationTarget.Global);
      const before = await report((chat) => Boolean(pickOf(chat)));
      const offer =
        /^- Licence: Auto would pick .* for chat .*\(now .*\) once you accept its licence "([\w.-]+)"/m.exec(before);
      await config().update("acceptedLicences", ["qwen-research"], vscode.ConfigurationTarget.Global);
      if (offer) {
        // This machine's pick waits on qwen-research (a CPU-only machine at the assumed 20 GB/s: the 3B).
        assert.equal(offer[1], "qwen-research");
        const after = await report((chat) => pickOf(chat) !== pickOf(before));
        assert.match(pickOf(after)!, /^qwen2\.5-coder-3b-instruct$/);
        assert.doesNotMatch(after, /^- Licence:/m);
      } else {
        // No pick waits on it here (a faster or larger machine): accepting changes nothing.
        const after = await report(() => true);
        assert.equal(pickOf(after), pickOf(before));
      }
    } finally {
      await config().update("acceptedLicences", licencesBefore, vscode.ConfigurationTarget.Global);
      await config().update("chat.model", chatBefore, vscode.ConfigurationTarget.Global);
    }
  });

  it("Select Model for chat, first row (Auto), writes auto into the user setting", async () => {
    const config = () => vscode.workspace.getConfiguration("localCode");
    const before = config().inspect<string>("chat.model")?.globalValue;
    assert.notEqual(before, "auto");
    try {
      void vscode.commands.executeCommand("localCode.selectModel", "chat");
      // Accept the first row once the QuickPick is up (retried: it opens asynchronously).
      await waitFor(
        () =>
          config().inspect<string>("chat.model")?.globalValue === "auto" ||
          (void vscode.commands.executeCommand("workbench.action.acceptSelectedQuickOpenItem"), false),
        20000,
      );
    } finally {
      await config().update("chat.model", before, vscode.ConfigurationTarget.Global);
    }
  });
});
