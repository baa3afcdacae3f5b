import * as vscode from "vscode";
import type { Disposable } from "../core/engine/engine";
import type { ModelRuntime } from "../core/runtime/modelRuntime";
import { describeStatus, type StatusInput } from "../core/status/statusText";
import type { InlineCompletionProvider } from "./completion/inlineCompletionProvider";

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
    return {
      text: this.item.text,
      tooltip: typeof this.item.tooltip === "string" ? this.item.tooltip : (this.item.tooltip?.value ?? ""),
    };
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

/** The status bar item kept up to date with the runtime (backend, model, failures) and inline completion's activity. */
export function registerStatusBar(
  runtime: ModelRuntime,
  completion: Pick<InlineCompletionProvider, "currentActivity" | "onDidChangeActivity">,
): Pick<StatusBar, "current" | "dispose"> {
  const statusBar = new StatusBar();
  const refresh = () => {
    const { engine, models, plan } = runtime;
    const settings = runtime.settings.settings;
    const failure = engine.failure;
    statusBar.update({
      engine: engine.state,
      completionModel:
        models.modelName("completion") ??
        (plan.kind === "local" ? modelLabel(settings.completion.model) : settings.remote.completionModel || null),
      modelProblem: engine.problem ?? models.problem("completion") ?? completion.currentActivity.problem,
      completionEnabled: settings.completion.enabled,
      generating: completion.currentActivity.generating,
      lastLatencyMs: completion.currentActivity.lastLatencyMs,
      lastReason: completion.currentActivity.lastReason,
      remote:
        plan.kind === "remote"
          ? { host: new URL(plan.url).host, failure: failure ? { code: failure.code, message: failure.message } : null }
          : null,
    });
  };
  const subscriptions: Disposable[] = [completion.onDidChangeActivity(refresh), runtime.onDidChangeStatus(refresh)];
  refresh();
  return {
    current: () => statusBar.current(),
    dispose: () => {
      for (const subscription of subscriptions) subscription.dispose();
      statusBar.dispose();
    },
  };
}

function modelLabel(setting: string): string | null {
  return setting === "auto" ? null : (setting.split(/[\\/]/).pop() ?? setting);
}
