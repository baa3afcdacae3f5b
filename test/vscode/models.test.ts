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
