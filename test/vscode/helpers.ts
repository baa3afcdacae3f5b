// Shared by the extension-host suites (test/vscode/*.test.ts).
import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { ExtensionApi } from "../../src/vscode/extension";

export const EXTENSION_ID = "localcode.local-code-assistant";

/** The extension's API, activating it first. */
export async function api(): Promise<ExtensionApi> {
  const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} not installed`);
  return ext.activate();
}

/** Polls `probe` every 50 ms until it returns something truthy. */
export async function waitFor<T>(
  probe: () => T | undefined | null | false,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes `lines` to src/<name> in the test workspace and opens it in an editor. */
export async function openLines(
  name: string,
  lines: readonly string[],
): Promise<{ uri: vscode.Uri; editor: vscode.TextEditor }> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, "the test window has a workspace folder");
  const uri = vscode.Uri.joinPath(folder.uri, "src", name);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(lines.join("\n") + "\n"));
  return { uri, editor: await vscode.window.showTextDocument(uri) };
}
