/**
 * The remote server's API key lives in VS Code's SecretStorage only (never in settings, logs or
 * messages): "Set Remote API Key" asks for it in a password box, "Clear Remote API Key" forgets it.
 */
import * as vscode from "vscode";

export const API_KEY_SECRET = "localCode.remote.apiKey";

export interface ApiKeyStore {
  get(): Promise<string | undefined>;
  /** Fires when the key is set or cleared (from any window). */
  onDidChange: vscode.Event<void>;
}

export function apiKeyStore(secrets: vscode.SecretStorage): ApiKeyStore & vscode.Disposable {
  const emitter = new vscode.EventEmitter<void>();
  const subscription = secrets.onDidChange((event) => {
    if (event.key === API_KEY_SECRET) emitter.fire();
  });
  return {
    get: () => Promise.resolve(secrets.get(API_KEY_SECRET)),
    onDidChange: emitter.event,
    dispose: () => {
      subscription.dispose();
      emitter.dispose();
    },
  };
}

/**
 * Registers the two commands. `localCode.setRemoteApiKey` takes an optional key argument for
 * automation (tests, other extensions); without one it asks with a password input box.
 */
export function registerApiKeyCommands(secrets: vscode.SecretStorage): vscode.Disposable {
  const set = vscode.commands.registerCommand("localCode.setRemoteApiKey", async (given?: unknown) => {
    const key =
      typeof given === "string"
        ? given
        : await vscode.window.showInputBox({
            title: "Local Code: Remote API Key",
            prompt:
              "The key the inference server expects (sent as Authorization: Bearer). Stored in VS Code's secret storage, never in settings.",
            password: true,
            ignoreFocusOut: true,
            validateInput: (value) =>
              value.trim() === ""
                ? "Enter the key, or use Local Code: Clear Remote API Key to remove it."
                : /\s/.test(value.trim())
                  ? "An API key has no spaces."
                  : null,
          });
    if (key === undefined) return false;
    await secrets.store(API_KEY_SECRET, key.trim());
    void vscode.window.setStatusBarMessage("$(key) Local Code: remote API key saved", 3000);
    return true;
  });
  const clear = vscode.commands.registerCommand("localCode.clearRemoteApiKey", async () => {
    await secrets.delete(API_KEY_SECRET);
    void vscode.window.setStatusBarMessage("$(key) Local Code: remote API key cleared", 3000);
  });
  return vscode.Disposable.from(set, clear);
}
