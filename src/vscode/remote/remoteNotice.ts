import * as vscode from "vscode";
import { EngineError } from "../../core/engine/engine";
import { isConnectionFailure } from "../../core/remote/remoteErrors";

export type RemoteAction = "Set API Key" | "Retry" | "Open Settings";

/** The fixes to offer for a remote-backend failure (empty when the error is not one). */
export function remoteActions(error: unknown): RemoteAction[] {
  if (!(error instanceof EngineError)) return [];
  if (error.code === "remoteUnauthorized") return ["Set API Key"];
  if (isConnectionFailure(error.code)) return ["Retry", "Open Settings"];
  if (error.code === "remoteModelNotFound") return ["Open Settings"];
  if (error.code.startsWith("remote")) return ["Retry"];
  return [];
}

/**
 * For commands (never while typing): the remote failure as a notification with its fixes.
 * Resolves to true when the user chose Retry.
 */
export async function showRemoteFailure(prefix: string, error: EngineError, actions: RemoteAction[]): Promise<boolean> {
  const choice = await vscode.window.showErrorMessage(`${prefix}${error.message}`, ...actions);
  if (choice === "Set API Key") await vscode.commands.executeCommand("localCode.setRemoteApiKey");
  if (choice === "Open Settings")
    await vscode.commands.executeCommand("workbench.action.openSettings", "localCode.remote");
  return choice === "Retry";
}
