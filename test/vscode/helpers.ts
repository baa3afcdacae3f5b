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
