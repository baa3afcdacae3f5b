import * as vscode from "vscode";
import { parseSettings, type SettingsResult } from "../core/config/settings";

/** Reads `localCode.*` as a plain object and validates it with the settings schema. */
export function readSettings(): SettingsResult {
  const config = vscode.workspace.getConfiguration("localCode");
  return parseSettings(toPlain(config));
}

function toPlain(config: vscode.WorkspaceConfiguration): Record<string, unknown> {
  // get() with no key is not supported; inspect the keys VS Code knows (from package.json) instead.
  const raw: Record<string, unknown> = {};
  const keys = Object.keys(config).filter(
    (k) => typeof (config as unknown as Record<string, unknown>)[k] !== "function",
  );
  for (const key of keys) raw[key] = config.get(key);
  // Plain data: the values VS Code returns are read-only proxies.
  return JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
}
