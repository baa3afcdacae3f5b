/**
 * Tells the provider's WarmUpPlanner (pure, src/core/completion/scheduling/warmUp.ts) what the user
 * does: typing anywhere, the cursor landing somewhere (click, jump, another editor), a request
 * answered at the end of a line, the prompt's context changing (definitions landed), and asks it
 * at the end of the pause whether to warm up, and what. Power: Linux reads /sys/class/power_supply, macOS
 * asks `pmset -g batt`; elsewhere (Windows) the power source is unknown and counts as mains.
 */
import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { onBatteryFromPmset, onBatteryFromSysfs, type CompletionSettings } from "../../core/completion";
import type { InlineCompletionProvider } from "./inlineCompletionProvider";

const POWER_CACHE_MS = 30_000;

export function registerCompletionWarmUp(
  provider: InlineCompletionProvider,
  settings: () => CompletionSettings,
  /** Fires with a document's uri when what its prompt holds changed (DefinitionLookup.onDidChange). */
  contextChanged?: vscode.Event<string>,
): vscode.Disposable {
  const planner = provider.warmUps;
  let timer: NodeJS.Timeout | undefined;
  const power = new PowerSource();

  const placeOf = (editor: vscode.TextEditor) => ({
    uri: editor.document.uri.toString(),
    line: editor.selection.active.line,
  });
  const wait = (editor: vscode.TextEditor, delay: number | null) => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (delay === null) return;
    timer = setTimeout(() => void fire(editor), delay);
  };
  const arm = (editor: vscode.TextEditor | undefined) => {
    if (editor) wait(editor, planner.moved(placeOf(editor), Date.now()));
  };

  const fire = async (editor: vscode.TextEditor) => {
    timer = undefined;
    if (vscode.window.activeTextEditor !== editor) return;
    const position = editor.selection.active;
    const decision = planner.check({
      now: Date.now(),
      place: { uri: editor.document.uri.toString(), line: position.line },
      enabled: settings().enabled && settings().warmUp,
      busy: provider.busy,
      onBattery: await power.onBattery(),
      modelLoaded: provider.modelLoaded,
    });
    if (decision.run) await provider.warmUp(editor.document, position, decision.target);
    // A request (or another warm-up) still runs: the pending warm-up is kept and asked again later.
    else if (decision.reason === "busy") wait(editor, planner.pauseMs);
  };

  const disposables = [
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.contentChanges.length === 0) return;
      planner.typed(Date.now());
      if (timer) clearTimeout(timer);
      timer = undefined;
    }),
    vscode.window.onDidChangeTextEditorSelection((event) => {
      // Typing moves the cursor too; only moves without an edit (keyboard navigation, mouse, commands) are new places.
      if (
        event.textEditor === vscode.window.activeTextEditor &&
        event.selections.length === 1 &&
        event.selections[0].isEmpty
      )
        arm(event.textEditor);
    }),
    vscode.window.onDidChangeActiveTextEditor((editor) => arm(editor)),
    provider.onDidAnswer(({ document, position }) => {
      const editor = vscode.window.activeTextEditor;
      if (editor?.document !== document || !editor.selection.isEmpty || !editor.selection.active.isEqual(position))
        return;
      // Only at the end of a line with code on it: where Enter comes next.
      const line = document.lineAt(position.line).text;
      if (line.slice(position.character).trim() !== "" || line.trim() === "") return;
      wait(editor, planner.answered(placeOf(editor), Date.now()));
    }),
  ];
  if (contextChanged)
    disposables.push(
      contextChanged((uri) => {
        const editor = vscode.window.activeTextEditor;
        if (editor?.document.uri.toString() === uri) wait(editor, planner.contextChanged(placeOf(editor), Date.now()));
      }),
    );
  arm(vscode.window.activeTextEditor);
  return {
    dispose: () => {
      if (timer) clearTimeout(timer);
      for (const d of disposables) d.dispose();
    },
  };
}

/** Whether this machine runs on battery, where that can be told; cached for 30 s. */
class PowerSource {
  private cached: { at: number; value: boolean } | null = null;

  async onBattery(): Promise<boolean> {
    if (this.cached && Date.now() - this.cached.at < POWER_CACHE_MS) return this.cached.value;
    const value = await readOnBattery().catch(() => false);
    this.cached = { at: Date.now(), value };
    return value;
  }
}

async function readOnBattery(): Promise<boolean> {
  if (process.platform === "linux") {
    const root = "/sys/class/power_supply";
    const names = await fs.readdir(root).catch(() => [] as string[]);
    const read = (name: string, file: string) =>
      fs.readFile(path.join(root, name, file), "utf8").catch(() => undefined);
    const supplies = await Promise.all(
      names.map(async (name) => ({
        type: await read(name, "type"),
        status: await read(name, "status"),
        online: await read(name, "online"),
      })),
    );
    return onBatteryFromSysfs(supplies);
  }
  if (process.platform === "darwin")
    return new Promise((resolve) =>
      execFile("pmset", ["-g", "batt"], { timeout: 2000 }, (error, stdout) =>
        resolve(!error && onBatteryFromPmset(stdout)),
      ),
    );
  return false;
}
