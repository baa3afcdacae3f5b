import assert from "node:assert/strict";
import * as vscode from "vscode";

const EXTENSION_ID = "localcode.local-code-assistant";

interface ContributedCommand {
  command: string;
  title: string;
}

describe("extension in a real VS Code", function () {
  this.timeout(120_000);

  it("is present", () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(
      ext,
      `${EXTENSION_ID} is not installed; extensions: ${vscode.extensions.all
        .map((e) => e.id)
        .filter((id) => !id.startsWith("vscode."))
        .join(", ")}`,
    );
  });

  it("activates", async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it("registers every command it contributes in package.json", async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await ext.activate();
    const contributed = (
      (ext.packageJSON as { contributes?: { commands?: ContributedCommand[] } }).contributes?.commands ?? []
    ).map((c) => c.command);
    assert.ok(contributed.length > 0, "package.json contributes no commands");
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(", ")}`);
  });
});
