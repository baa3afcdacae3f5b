import * as vscode from "vscode";
import { describeStatus, type StatusInput } from "../core/status/statusText";

/** The status bar item: model, state and last latency; a click opens the Local Code menu. */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("localCode.status", vscode.StatusBarAlignment.Right, 100);

  constructor() {
    this.item.name = "Local Code Assistant";
    this.item.command = "localCode.statusMenu";
    this.item.show();
  }

  /** What the item shows now (for tests). */
  current(): { text: string; tooltip: string } {
    return { text: this.item.text, tooltip: typeof this.item.tooltip === "string" ? this.item.tooltip : (this.item.tooltip?.value ?? "") };
  }

  update(input: StatusInput): void {
    const view = describeStatus(input);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.accessibilityInformation = { label: view.text.replace(/\$\([^)]*\)\s*/g, ""), role: "button" };
    this.item.backgroundColor =
      view.severity === "error"
        ? new vscode.ThemeColor("statusBarItem.errorBackground")
        : view.severity === "warning"
          ? new vscode.ThemeColor("statusBarItem.warningBackground")
          : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
